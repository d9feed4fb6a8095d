// MNISTStyle: the centre of mass lands on (14, 14) and the longer side of the ink box is 20 px; a
// light background is inverted; blank images give zeros; fit(ink:) ignores where the ink sits in
// its map; MNIST digits come back close to themselves from MNIST's own images and from large
// renderings on lit, noisy paper; over-thick strokes are thinned towards MNIST's width. And the
// resampling under it: constants stay constant, shrinking averages areas.

import Datasets
import XCTest

final class MNISTStyleTests: XCTestCase {
    /// (mass, centre x, centre y, box width, box height) of a 28x28 field, pixel-index coordinates.
    private func shape(_ field: [Float]) -> (mass: Float, x: Float, y: Float, width: Int, height: Int) {
        var mass: Float = 0, sx: Float = 0, sy: Float = 0, x0 = 28, x1 = -1, y0 = 28, y1 = -1
        for y in 0..<28 {
            for x in 0..<28 where field[y * 28 + x] > 0 {
                let v = field[y * 28 + x]
                mass += v; sx += v * Float(x); sy += v * Float(y)
                x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
            }
        }
        return (mass, sx / mass, sy / mass, x1 - x0 + 1, y1 - y0 + 1)
    }

    private func correlation(_ a: [Float], _ b: [Float]) -> Double {
        let n = Double(a.count), ma = a.reduce(0) { $0 + Double($1) } / n, mb = b.reduce(0) { $0 + Double($1) } / n
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) {
            let dx = Double(x) - ma, dy = Double(y) - mb
            ab += dx * dy; aa += dx * dx; bb += dy * dy
        }
        return ab / (aa * bb).squareRoot()
    }

    /// MNIST test digit `i` drawn `height` px tall as dark ink on lit, noisy paper.
    private func photo(of i: Int, height: Int, seed: UInt64) -> GrayscaleImage {
        var page = TestPage(width: height * 2, height: height * 2)
        let ink = digitInk(i, height: height)
        page.draw(ink, x: (height * 2 - ink.width) / 2, y: height / 2)
        return page.photo(gradient: 0.25, noise: 0.03, seed: seed)
    }

    func testCentreOfMassAndBoxSize() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        for i in 0..<50 {
            let s = shape(MNISTStyle.prepare(photo(of: i, height: 90 + i, seed: UInt64(i))))
            XCTAssertEqual(s.x, 14, accuracy: 0.5, "digit \(i)")
            XCTAssertEqual(s.y, 14, accuracy: 0.5, "digit \(i)")
            XCTAssertEqual(Double(max(s.width, s.height)), 20, accuracy: 1, "digit \(i)")
        }
    }

    func testLightBackgroundIsInverted() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        let light = photo(of: 3, height: 120, seed: 5)
        var dark = light
        for k in dark.pixels.indices { dark.pixels[k] = 1 - dark.pixels[k] }
        let fromLight = MNISTStyle.prepare(light), fromDark = MNISTStyle.prepare(dark)
        XCTAssertGreaterThan(correlation(fromLight, fromDark), 0.95)
        XCTAssertGreaterThan(correlation(fromLight, MNISTTestDigits.all.images[3]), 0.9, "ink is 1, paper 0")
        XCTAssertEqual(fromLight[0], 0, "the corner is paper")
    }

    func testBlankImagesGiveZeros() {
        let zeros = [Float](repeating: 0, count: 784)
        XCTAssertEqual(MNISTStyle.prepare(GrayscaleImage(width: 200, height: 150, filledWith: 0.9)), zeros)
        XCTAssertEqual(MNISTStyle.prepare(TestPage(width: 300, height: 300).photo(gradient: 0.3, noise: 0.04)), zeros, "lit noisy paper")
        XCTAssertEqual(MNISTStyle.prepare(GrayscaleImage(width: 2, height: 2, filledWith: 0)), zeros)
        XCTAssertEqual(MNISTStyle.fit(ink: GrayscaleImage(width: 40, height: 40, filledWith: 0)), zeros)
        XCTAssertEqual(MNISTStyle.fit(ink: GrayscaleImage(width: 0, height: 0, pixels: [])), zeros)
    }

    func testFitIgnoresWhereTheInkSits() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        let ink = digitInk(7, height: 100)
        var wide = GrayscaleImage(width: ink.width + 170, height: 230, filledWith: 0)
        for y in 0..<ink.height { for x in 0..<ink.width { wide[x + 150, y + 20] = ink[x, y] } }
        XCTAssertEqual(MNISTStyle.fit(ink: wide), MNISTStyle.fit(ink: ink))
    }

    /// Mean correlation with the original over the first 100 MNIST test digits. Measured: 0.965 from
    /// the MNIST images themselves, 0.941 from 100-160 px renderings on lit, noisy paper (the
    /// renderings sharpen MNIST's soft strokes, so they cannot come back exactly).
    func testMNISTDigitsComeBackCloseToThemselves() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        var direct = 0.0, rendered = 0.0
        for i in 0..<100 {
            let original = MNISTTestDigits.all.images[i]
            direct += correlation(MNISTStyle.prepare(MNISTTestDigits.image(i)), original) / 100
            rendered += correlation(MNISTStyle.prepare(photo(of: i, height: 100 + (i % 7) * 10, seed: UInt64(i))), original) / 100
        }
        XCTAssertGreaterThan(direct, 0.93)
        XCTAssertGreaterThan(rendered, 0.9)
    }

    func testThickStrokesAreThinnedTowardsMNIST() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        var normal: Float = 0, thick: Float = 0, unthinned: Float = 0
        for i in 0..<20 {
            let ink = digitInk(i, height: 100)
            // The same digit written with a pen 14 px wider: every pixel within 7 px of ink is ink.
            var bold = GrayscaleImage(width: ink.width + 14, height: ink.height + 14, filledWith: 0)
            for y in 0..<ink.height { for x in 0..<ink.width where ink[x, y] > 0.5 {
                for dy in -7...7 { for dx in -7...7 where dx * dx + dy * dy <= 49 { bold[x + 7 + dx, y + 7 + dy] = 1 } }
            } }
            normal += shape(MNISTStyle.fit(ink: ink)).mass
            thick += shape(MNISTStyle.fit(ink: bold)).mass
            // What a plain fit (scale the box to 20 px, no stroke change) would keep.
            let long = max(bold.width, bold.height)
            unthinned += bold.resampled(width: bold.width * 20 / long, height: bold.height * 20 / long).pixels.reduce(0, +)
        }
        // Measured: thick / normal 1.12, thick / unthinned 0.74.
        XCTAssertLessThan(thick, 1.25 * normal, "thinned close to the normal digit's ink")
        XCTAssertLessThan(thick, 0.8 * unthinned, "well below an unthinned fit's ink")
    }

    func testResampledKeepsConstantsAndAveragesAreas() {
        let constant = GrayscaleImage(width: 37, height: 23, filledWith: 0.3).resampled(width: 80, height: 9)
        XCTAssertTrue(constant.pixels.allSatisfy { abs($0 - 0.3) < 1e-5 })
        let blocks = GrayscaleImage(width: 4, height: 2, pixels: [1, 0, 0, 0,
                                                                  1, 0, 1, 1])
        XCTAssertEqual(blocks.resampled(width: 2, height: 1).pixels, [0.5, 0.5])
        XCTAssertEqual(blocks.resampled(width: 4, height: 2), blocks)
    }
}
