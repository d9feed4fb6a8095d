// The pixel transforms of data.augment, each on hand-made planes: the affine warp (a 1 px shift
// moves the image by exactly one pixel, 90° turns a known asymmetric pattern as expected, scale and
// shear about the centre), stroke width (dilation thickens, erosion thins, fractions in between),
// the padded crop and the horizontal flip.

import Datasets
import XCTest

final class AugmentTransformTests: XCTestCase {
    /// An asymmetric w x h pattern: distinct non-zero values, no two pixels equal.
    private func pattern(_ w: Int, _ h: Int) -> [Float] { (0..<(w * h)).map { Float($0 + 1) / Float(w * h) } }

    private func warp(_ src: [Float], _ w: Int, _ h: Int, _ warp: AffineWarp) -> [Float] {
        var dst = [Float](repeating: .nan, count: src.count)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { warp.apply(s.baseAddress!, to: $0.baseAddress!, width: w, height: h) }
        }
        return dst
    }

    private func stroke(_ src: [Float], _ w: Int, _ h: Int, by amount: Double) -> [Float] {
        var plane = src, scratch = [Float](repeating: 0, count: 2 * src.count)
        plane.withUnsafeMutableBufferPointer { p in
            scratch.withUnsafeMutableBufferPointer {
                changeStrokeWidth(p.baseAddress!, width: w, height: h, by: amount, scratch: $0.baseAddress!)
            }
        }
        return plane
    }

    func testZeroWarpIsTheIdentity() {
        let w = 7, h = 5, src = pattern(w, h)
        let identity = AffineWarp(width: w, height: h)
        XCTAssertTrue(identity.isIdentity)
        XCTAssertEqual(warp(src, w, h, identity), src)
    }

    /// Shift (1, 0) and (0, -1): every pixel moves by exactly one pixel; the uncovered edge is 0.
    func testShiftByOnePixelMovesTheImageOnePixel() {
        let w = 6, h = 4, src = pattern(w, h)
        let right = warp(src, w, h, AffineWarp(shiftX: 1, width: w, height: h))
        let up = warp(src, w, h, AffineWarp(shiftY: -1, width: w, height: h))
        for y in 0..<h {
            for x in 0..<w {
                XCTAssertEqual(right[y * w + x], x == 0 ? 0 : src[y * w + x - 1], "right: (\(x), \(y))")
                XCTAssertEqual(up[y * w + x], y == h - 1 ? 0 : src[(y + 1) * w + x], "up: (\(x), \(y))")
            }
        }
        // half a pixel: the mean of the two neighbours
        let half = warp(src, w, h, AffineWarp(shiftX: 0.5, width: w, height: h))
        XCTAssertEqual(half[2 * w + 3], (src[2 * w + 2] + src[2 * w + 3]) / 2, accuracy: 1e-6)
    }

    /// +90° turns counter-clockwise as shown: destination (x, y) = source (W-1-y, x). An L whose
    /// foot points right comes out with its foot pointing up.
    func testRotationBy90DegreesOfAnAsymmetricPattern() {
        let n = 5, src = pattern(n, n)
        let turned = warp(src, n, n, AffineWarp(angle: 90, width: n, height: n))
        for y in 0..<n {
            for x in 0..<n {
                XCTAssertEqual(turned[y * n + x], src[x * n + (n - 1 - y)], accuracy: 1e-5, "(\(x), \(y))")
            }
        }
        var ell = [Float](repeating: 0, count: n * n)
        for y in 0..<4 { ell[y * n + 1] = 1 }      // the upright stroke at x = 1, rows 0...3
        ell[3 * n + 2] = 1; ell[3 * n + 3] = 1     // the foot along row 3 to the right
        let ellTurned = warp(ell, n, n, AffineWarp(angle: 90, width: n, height: n)).map { $0.rounded() }
        var expected = [Float](repeating: 0, count: n * n)
        for x in 0..<4 { expected[3 * n + x] = 1 }  // the stroke lies along row 3 (x 0...3)
        expected[2 * n + 3] = 1; expected[1 * n + 3] = 1   // the foot rises from (3, 3)
        XCTAssertEqual(ellTurned, expected)
        // -90° undoes +90°
        let back = warp(turned, n, n, AffineWarp(angle: -90, width: n, height: n))
        for i in 0..<(n * n) { XCTAssertEqual(back[i], src[i], accuracy: 1e-5) }
    }

    /// Scale about the centre of a 5x5 plane (centre (2, 2)): x2 maps source (3, 2) to (4, 2) and
    /// fills (3, 2) with half of it; x0.5 brings source (4, 2) to (3, 2).
    func testScaleAboutTheCentre() {
        let n = 5
        var dot = [Float](repeating: 0, count: n * n)
        dot[2 * n + 3] = 1
        let bigger = warp(dot, n, n, AffineWarp(scale: 2, width: n, height: n))
        XCTAssertEqual(bigger[2 * n + 4], 1)
        XCTAssertEqual(bigger[2 * n + 3], 0.5)
        XCTAssertEqual(bigger[2 * n + 2], 0)
        XCTAssertEqual(bigger.reduce(0, +), 1 + 0.5 + 0.5 + 0.5 + 0.25 + 0.25, "x weights 0.5 + 1 times y weights 0.5 + 1 + 0.5")
        var edge = [Float](repeating: 0, count: n * n)
        edge[2 * n + 4] = 1
        let smaller = warp(edge, n, n, AffineWarp(scale: 0.5, width: n, height: n))
        XCTAssertEqual(smaller[2 * n + 3], 1)
        XCTAssertEqual(smaller.reduce(0, +), 1, "only (3, 2) samples the dot's pixel centre")
    }

    /// Shear 45°: the centre row stays, the row below moves one pixel right, the row above one left.
    func testShearMovesRowsByTheirDistanceFromTheCentre() {
        let n = 5, src = pattern(n, n)
        let sheared = warp(src, n, n, AffineWarp(shear: 45, width: n, height: n))
        for x in 0..<n {
            XCTAssertEqual(sheared[2 * n + x], src[2 * n + x], accuracy: 1e-5, "centre row, x \(x)")
            XCTAssertEqual(sheared[3 * n + x], x == 0 ? 0 : src[3 * n + x - 1], accuracy: 1e-5, "row below, x \(x)")
            XCTAssertEqual(sheared[1 * n + x], x == n - 1 ? 0 : src[1 * n + x + 1], accuracy: 1e-5, "row above, x \(x)")
        }
    }

    /// A dot dilated by 1 px becomes its 3x3 block; 2 px a 5x5 block; eroding the 5x5 block by
    /// 1 px leaves the 3x3 one. A 3 px-wide bar: ink grows with a positive amount, shrinks with a
    /// negative one, and a fractional amount lands between its whole neighbours.
    func testStrokeWidthThickensAndThins() {
        let n = 9
        var dot = [Float](repeating: 0, count: n * n)
        dot[4 * n + 4] = 1
        func block(_ r: Int) -> [Float] {
            (0..<(n * n)).map { abs($0 % n - 4) <= r && abs($0 / n - 4) <= r ? 1 : 0 }
        }
        XCTAssertEqual(stroke(dot, n, n, by: 1), block(1))
        XCTAssertEqual(stroke(dot, n, n, by: 2), block(2))
        XCTAssertEqual(stroke(block(2), n, n, by: -1), block(1))
        XCTAssertEqual(stroke(dot, n, n, by: 0), dot)

        var bar = [Float](repeating: 0, count: n * n)
        for y in 1..<8 { for x in 3...5 { bar[y * n + x] = 0.8 } }
        let ink = { (p: [Float]) in p.reduce(0, +) }
        let thicker = ink(stroke(bar, n, n, by: 1)), thinner = ink(stroke(bar, n, n, by: -1))
        XCTAssertGreaterThan(thicker, ink(bar))
        XCTAssertLessThan(thinner, ink(bar))
        XCTAssertGreaterThan(thinner, 0, "1 px of erosion leaves the middle column of a 3 px bar")
        let half = ink(stroke(bar, n, n, by: 0.5)), oneAndHalf = ink(stroke(bar, n, n, by: 1.5))
        XCTAssertEqual(half, (ink(bar) + thicker) / 2, accuracy: 1e-4)
        XCTAssertGreaterThan(oneAndHalf, thicker)
        XCTAssertLessThan(oneAndHalf, ink(stroke(bar, n, n, by: 2)))
        XCTAssertLessThan(ink(stroke(bar, n, n, by: -0.5)), ink(bar))
    }

    /// The separable passes equal a naive clipped 3x3 window, on random planes of several shapes
    /// (one-pixel-wide ones included), for whole, fractional and negative amounts.
    func testStrokeWidthMatchesANaive3x3Window() {
        func naive(_ p: [Float], _ w: Int, _ h: Int, _ pick: (Float, Float) -> Float) -> [Float] {
            (0..<(w * h)).map { i in
                let x = i % w, y = i / w
                var v = p[i]
                for yy in max(y - 1, 0)...min(y + 1, h - 1) { for xx in max(x - 1, 0)...min(x + 1, w - 1) { v = pick(v, p[yy * w + xx]) } }
                return v
            }
        }
        var seed: UInt32 = 12345
        for (w, h) in [(7, 5), (1, 4), (6, 1), (2, 2)] {
            let p: [Float] = (0..<(w * h)).map { _ in seed = seed &* 1_664_525 &+ 1_013_904_223; return Float(seed >> 8) / 16_777_216 }
            XCTAssertEqual(stroke(p, w, h, by: 1), naive(p, w, h, max), "\(w)x\(h) +1")
            XCTAssertEqual(stroke(p, w, h, by: -1), naive(p, w, h, min), "\(w)x\(h) -1")
            XCTAssertEqual(stroke(p, w, h, by: 2), naive(naive(p, w, h, max), w, h, max), "\(w)x\(h) +2")
            let grown = naive(p, w, h, max), blended = stroke(p, w, h, by: 0.25)
            for i in 0..<(w * h) { XCTAssertEqual(blended[i], p[i] + 0.25 * (grown[i] - p[i]), accuracy: 1e-6) }
        }
    }

    /// Crop at offset (1, -2) from the padded plane: destination (x, y) = source (x + 1, y - 2), 0 outside.
    func testCropWithPaddingTranslatesByWholePixels() {
        let w = 5, h = 4, src = pattern(w, h)
        var dst = [Float](repeating: .nan, count: w * h)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer {
                cropWithPadding(s.baseAddress!, to: $0.baseAddress!, width: w, height: h, dx: 1, dy: -2)
            }
        }
        for y in 0..<h {
            for x in 0..<w {
                let sx = x + 1, sy = y - 2
                let expected = sx < w && sy >= 0 ? src[sy * w + sx] : 0
                XCTAssertEqual(dst[y * w + x], expected, "(\(x), \(y))")
            }
        }
    }

    func testFlipMirrorsEveryRow() {
        for w in [4, 5] {
            let h = 3, src = pattern(w, h)
            var plane = src
            plane.withUnsafeMutableBufferPointer { flipHorizontally($0.baseAddress!, width: w, height: h) }
            for y in 0..<h { for x in 0..<w { XCTAssertEqual(plane[y * w + x], src[y * w + (w - 1 - x)]) } }
            plane.withUnsafeMutableBufferPointer { flipHorizontally($0.baseAddress!, width: w, height: h) }
            XCTAssertEqual(plane, src, "flipping twice restores the plane")
        }
    }
}
