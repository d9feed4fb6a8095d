// DigitSegmenter on synthetic page photos of MNIST test digits (TestPages.swift): rows found in
// reading order under an illumination gradient and noise; a broken digit merged; touching digits
// split (two and three); specks and a dark page-edge strip dropped; blank pages; rotated pages
// keep their rows; light-on-dark pages; the regions' ink crops; and the other readings offered to
// the classifier (a cut blob whole, a digit broken into two tall pieces joined).

import Datasets
import XCTest

final class DigitSegmenterTests: XCTestCase {
    /// Digits by label, the k-th test digit of each (several styles per label).
    private func digits(_ labels: [Int], style k: Int = 0) -> [Int] { labels.map { MNISTTestDigits.index(of: $0, k) } }

    /// Asserts that `regions` match the page's composition: same count, each found box centred in
    /// the placed box of the same position in reading order, and the same row numbers.
    private func assertMatches(_ regions: [DigitRegion], _ page: TestPage, file: StaticString = #filePath, line: UInt = #line) {
        let truth = page.boxes.enumerated().flatMap { r, row in row.map { (r, $0) } }
        XCTAssertEqual(regions.count, truth.count, "digit count", file: file, line: line)
        for (region, (row, box)) in zip(regions, truth) {
            XCTAssertEqual(region.row, row, "row of the digit at \(box)", file: file, line: line)
            XCTAssertTrue(centre(of: region.box, isIn: box), "found \(region.box), placed \(box)", file: file, line: line)
        }
    }

    func testRowsInReadingOrderUnderGradientAndNoise() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        var page = TestPage(width: 1200, height: 900)
        page.drawRows([digits([3, 1, 4, 1]), digits([5, 9, 2, 6, 5, 3], style: 1), digits([5, 8, 9, 7, 9], style: 2)],
                      height: 90, left: 80, top: 100, gap: 40, rowPitch: 220)
        let regions = DigitSegmenter.segment(page.photo(gradient: 0.35, noise: 0.04))
        assertMatches(regions, page)
        for region in regions {
            XCTAssertEqual([region.ink.width, region.ink.height], [region.box.width, region.box.height])
            XCTAssertTrue(region.ink.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
            XCTAssertGreaterThan(region.ink.pixels.max() ?? 0, 0.9, "strokes reach full strength")
        }
    }

    func testBrokenDigitIsMerged() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        var page = TestPage(width: 900, height: 400)
        var broken = digitInk(MNISTTestDigits.index(of: 8), height: 120)
        for y in 52..<62 { for x in 0..<broken.width { broken[x, y] = 0 } }   // erase a band across the middle
        var boxes = [page.draw(digitInk(MNISTTestDigits.index(of: 2), height: 120), x: 100, y: 120)]
        let brokenBox = page.draw(broken, x: 100 + boxes[0].width + 60, y: 120)
        boxes.append(brokenBox)
        boxes.append(page.draw(digitInk(MNISTTestDigits.index(of: 7), height: 120), x: brokenBox.maxX + 60, y: 120))
        page.boxes = [boxes]
        XCTAssertEqual(pieceCount(page.inkMap, box: brokenBox), 2, "the band must break the 8 into two pieces")
        let regions = DigitSegmenter.segment(page.photo())
        assertMatches(regions, page)
        XCTAssertEqual(regions.count, 3)
        if regions.count == 3 { XCTAssertGreaterThanOrEqual(regions[1].box.height, brokenBox.height - 4, "both pieces in one box") }
    }

    func testTouchingDigitsAreSplit() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        for group in [[0, 0], [8, 3], [0, 0, 0]] {
            // Each digit is pushed left towards the previous one, a pixel at a time, until they touch.
            let inks = group.map { digitInk(MNISTTestDigits.index(of: $0, 1), height: 110) }
            var lefts = [480]
            for k in 1..<inks.count {
                var x = lefts[k - 1] + inks[k - 1].width + 10
                while x > lefts[k - 1] && !touches(inks, lefts + [x]) { x -= 1 }
                lefts.append(x)
            }
            // In a row of other digits, as on a page (the typical digit width needs several digits).
            var page = TestPage(width: 1400, height: 400)
            let before = [4, 7, 1].enumerated().map { k, label in
                page.draw(digitInk(MNISTTestDigits.index(of: label), height: 110), x: 60 + 130 * k, y: 140)
            }
            let touching = zip(inks, lefts).map { page.draw($0, x: $1, y: 140) }
            let after = [2, 5].enumerated().map { k, label in
                page.draw(digitInk(MNISTTestDigits.index(of: label), height: 110), x: touching[touching.count - 1].maxX + 60 + 130 * k, y: 140)
            }
            page.boxes = [before + touching + after]
            let span = PixelBox(x: touching[0].x - 2, y: 120, width: touching[touching.count - 1].maxX - touching[0].x + 4, height: 150)
            XCTAssertEqual(pieceCount(page.inkMap, box: span), 1, "\(group) touch")
            assertMatches(DigitSegmenter.segment(page.photo()), page)
        }
    }

    func testACutBlobIsAlsoOfferedWhole() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        // Two zeros pushed together until they touch, in a row of other digits.
        let zero = digitInk(MNISTTestDigits.index(of: 0, 1), height: 110)
        var x = 480 + zero.width + 10
        while x > 480 && !touches([zero, zero], [480, x]) { x -= 1 }
        var page = TestPage(width: 1400, height: 400)
        for (k, label) in [4, 7, 1].enumerated() { page.draw(digitInk(MNISTTestDigits.index(of: label), height: 110), x: 60 + 130 * k, y: 140) }
        let pair = page.draw(zero, x: 480, y: 140).union(page.draw(zero, x: x, y: 140))
        page.draw(digitInk(MNISTTestDigits.index(of: 2), height: 110), x: pair.maxX + 60, y: 140)
        let segmentation = DigitSegmenter.segmentation(page.photo())
        XCTAssertEqual(segmentation.regions.count, 6, "the pair is cut")
        let whole = segmentation.choices.filter { $0.kind == .unsplit }
        XCTAssertEqual(whole.count, 1)
        guard let choice = whole.first else { return }
        XCTAssertEqual(choice.range, 3..<5, "the two zeros")
        XCTAssertEqual(choice.alternative.map(\.box), [segmentation.regions[3].box.union(segmentation.regions[4].box)])
        XCTAssertEqual(choice.alternative.map(\.row), [0])
        XCTAssertTrue(centre(of: choice.alternative[0].box, isIn: pair))
    }

    func testADigitBrokenIntoTwoTallPiecesIsOfferedJoined() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        // A "0" with a band erased down its middle falls into "(" and ")": side by side, both tall,
        // so the fragment rules keep them apart, but the two may be one digit.
        var zero = digitInk(MNISTTestDigits.index(of: 0), height: 120)
        let middle = zero.width / 2
        for y in 0..<zero.height { for x in (middle - 4)..<(middle + 4) { zero[x, y] = 0 } }
        var page = TestPage(width: 1200, height: 400)
        for (k, label) in [4, 7].enumerated() { page.draw(digitInk(MNISTTestDigits.index(of: label), height: 120), x: 100 + 150 * k, y: 140) }
        let broken = page.draw(zero, x: 420, y: 140)
        XCTAssertEqual(pieceCount(page.inkMap, box: broken), 2, "the band must cut the 0 in two")
        page.draw(digitInk(MNISTTestDigits.index(of: 2), height: 120), x: broken.maxX + 70, y: 140)
        let segmentation = DigitSegmenter.segmentation(page.photo())
        let joined = segmentation.choices.filter { $0.kind == .merged }
        XCTAssertEqual(joined.map(\.range), [2..<4], "the two halves of the 0, nothing else")
        guard let choice = joined.first, choice.alternative.count == 1 else { return XCTFail("no joined reading") }
        let box = choice.alternative[0].box
        XCTAssertLessThan(abs(box.x - broken.x) + abs(box.maxX - broken.maxX) + abs(box.height - broken.height), 12,
                          "joined \(box), the 0 is \(broken)")
        XCTAssertEqual(segmentation.candidates.count, segmentation.regions.count + 1)
    }

    /// Whether `inks` drawn at `lefts` (one row) form one piece.
    private func touches(_ inks: [GrayscaleImage], _ lefts: [Int]) -> Bool {
        var page = TestPage(width: 1000, height: 200)
        for (ink, x) in zip(inks, lefts) { page.draw(ink, x: x, y: 40) }
        return pieceCount(page.inkMap, box: PixelBox(x: 0, y: 0, width: 1000, height: 200)) == 1
    }

    func testSpecksAndPageEdgeStripAreDropped() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        var page = TestPage(width: 1000, height: 700)
        page.drawRows([digits([6, 0, 2]), digits([1, 9, 4])], height: 100, left: 150, top: 150, gap: 60, rowPitch: 250)
        var random = TestRandom(state: 7)
        for _ in 0..<60 {                                         // dots of 2-7 px across, anywhere
            let cx = Int(random.unit() * 980) + 10, cy = Int(random.unit() * 680) + 10, r = 1 + Int(random.unit() * 3)
            for y in (cy - r)...(cy + r) { for x in (cx - r)...(cx + r) where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r {
                page.inkMap[x, y] = 1
            } }
        }
        for y in 0..<700 { for x in 0..<35 { page.inkMap[x, y] = 0.9 } }   // the table beside the page
        assertMatches(DigitSegmenter.segment(page.photo()), page)
    }

    func testBlankPagesGiveNothing() {
        let blank = TestPage(width: 800, height: 600)
        XCTAssertTrue(DigitSegmenter.segment(blank.photo(gradient: 0.4, noise: 0.04)).isEmpty, "paper with a gradient and noise")
        XCTAssertTrue(DigitSegmenter.segment(GrayscaleImage(width: 640, height: 480, filledWith: 1)).isEmpty, "white")
        XCTAssertTrue(DigitSegmenter.segment(GrayscaleImage(width: 640, height: 480, filledWith: 0)).isEmpty, "black")
        XCTAssertTrue(DigitSegmenter.segment(GrayscaleImage(width: 5, height: 5, filledWith: 0.5)).isEmpty, "tiny")
        XCTAssertTrue(DigitSegmenter.segment(GrayscaleImage(width: 0, height: 0, pixels: [])).isEmpty, "empty")
    }

    func testRotatedPagesKeepTheirRows() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        var page = TestPage(width: 1400, height: 1000)
        page.drawRows([digits([1, 2, 3, 4, 5, 6, 7, 8]), digits([9, 0, 1, 2, 3, 4, 5, 6], style: 1),
                       digits([7, 8, 9, 0, 1, 2, 3, 4], style: 2)],
                      height: 80, left: 150, top: 280, gap: 55, rowPitch: 170)
        let photo = page.photo(gradient: 0.2)
        for degrees in [8.0, -8.0] {
            let regions = DigitSegmenter.segment(rotated(photo, degrees: degrees, fill: 0.3))
            XCTAssertEqual(regions.count, 24, "\(degrees) degrees")
            XCTAssertEqual(regions.map(\.row), (0..<24).map { $0 / 8 }, "\(degrees) degrees")
            // Each found digit sits where its placed centre went.
            let truth = page.boxes.flatMap { $0 }.map {
                rotatedPoint(x: $0.centreX, y: $0.centreY, degrees: degrees, width: photo.width, height: photo.height)
            }
            for (region, point) in zip(regions, truth) {
                XCTAssertLessThan(abs(region.box.centreX - point.x) + abs(region.box.centreY - point.y), 30,
                                  "\(degrees) degrees: found \(region.box), expected near \(point)")
            }
        }
    }

    func testLightInkOnDarkPage() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        var page = TestPage(width: 900, height: 500)
        page.drawRows([digits([4, 2, 7, 1])], height: 100, left: 120, top: 180, gap: 70, rowPitch: 0)
        var photo = page.photo()
        for i in photo.pixels.indices { photo.pixels[i] = 1 - photo.pixels[i] }
        assertMatches(DigitSegmenter.segment(photo), page)
    }

    func testInkOfANeighbourInsideTheBoxIsZero() throws {
        try XCTSkipIf(MNISTTestDigits.all.images.isEmpty, "data/mnist missing")
        var page = TestPage(width: 700, height: 400)
        let seven = page.draw(digitInk(MNISTTestDigits.index(of: 7), height: 120), x: 150, y: 130)
        // A "1" reaching into the 7's box from the lower right without touching the 7.
        let oneInk = digitInk(MNISTTestDigits.index(of: 1), height: 120), oneX = seven.maxX - 30, oneY = 150
        let one = page.draw(oneInk, x: oneX, y: oneY)
        var oneOnly = TestPage(width: 700, height: 400)
        oneOnly.draw(oneInk, x: oneX, y: oneY)
        page.boxes = [[seven, one]]
        XCTAssertEqual(pieceCount(page.inkMap, box: PixelBox(x: 100, y: 100, width: 500, height: 250)), 2, "7 and 1 apart")
        let regions = DigitSegmenter.segment(page.photo())
        assertMatches(regions, page)
        guard regions.count == 2 else { return }
        let box = regions[0].box
        var intruders = 0
        for y in box.y..<box.maxY {
            for x in box.x..<box.maxX where oneOnly.inkMap[x, y] > 0.5 {
                intruders += 1
                XCTAssertEqual(regions[0].ink[x - box.x, y - box.y], 0, "the 1's pixel (\(x), \(y)) in the 7's ink")
            }
        }
        XCTAssertGreaterThan(intruders, 20, "the 1 must reach into the 7's box for this test to mean anything")
    }
}
