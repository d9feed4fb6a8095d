// data.augment.break: a band erased across one stroke. On a vertical bar it cuts the bar into two
// pieces with a clean gap in the middle half of the ink's rows, leaves the bar's ends and every
// other column untouched, and erases about band x bar-width pixels; a blank plane stays blank;
// the Augmenter applies it to the share of samples that `break` asks for, deterministically.

import Datasets
import XCTest

final class StrokeBreakTests: XCTestCase {
    private let w = 28, h = 28

    /// A 3-px-wide vertical bar, columns 12...14, rows 4...23, full ink.
    private func bar() -> [Float] {
        var p = [Float](repeating: 0, count: w * h)
        for y in 4 ... 23 { for x in 12 ... 14 { p[y * w + x] = 1 } }
        return p
    }

    private func rowsWithInk(_ p: [Float]) -> [Int] {
        (0 ..< h).filter { y in (0 ..< w).contains { p[y * w + $0] > 0.5 } }
    }

    func testABarIsCutAcrossItsNarrowWayInTheMiddleHalf() {
        for pick in stride(from: 0.0, to: 1.0, by: 0.13) {
            var p = bar()
            p.withUnsafeMutableBufferPointer { breakStroke($0.baseAddress!, width: w, height: h, band: 1.5, pick: pick) }
            let rows = rowsWithInk(p)
            let gaps = (rows.first! ... rows.last!).filter { !rows.contains($0) }
            XCTAssertFalse(gaps.isEmpty, "pick \(pick): the bar must fall in two")
            XCTAssertTrue(gaps.allSatisfy { (8 ... 19).contains($0) }, "pick \(pick): gap rows \(gaps) outside the middle half (rows 9...18) and its band")
            XCTAssertEqual(rows.first, 4, "the bar's top end stays")
            XCTAssertEqual(rows.last, 23, "the bar's bottom end stays")
            for y in 0 ..< h { for x in 0 ..< w where !(12 ... 14).contains(x) { XCTAssertEqual(p[y * w + x], 0) } }
            let erased = bar().reduce(0, +) - p.reduce(0, +)
            XCTAssert(erased >= 3 && erased <= 9, "pick \(pick): erased \(erased) px of ink, expected about 1.5 rows of 3")
        }
    }

    func testABlankPlaneStaysBlank() {
        var p = [Float](repeating: 0, count: w * h)
        p.withUnsafeMutableBufferPointer { breakStroke($0.baseAddress!, width: w, height: h, band: 2, pick: 0.5) }
        XCTAssertEqual(p, [Float](repeating: 0, count: w * h))
    }

    func testTheAugmenterBreaksTheRequestedShareOfSamples() {
        let augmenter = Augmenter(Augmentation(strokeBreak: 0.3), seed: 9, channels: 1, height: h, width: w)
        var broken = 0
        for sample in 0 ..< 1000 {
            var p = bar(), q = bar()
            p.withUnsafeMutableBufferPointer { augmenter.apply($0.baseAddress!, sample: sample, epoch: 2) }
            q.withUnsafeMutableBufferPointer { augmenter.apply($0.baseAddress!, sample: sample, epoch: 2) }
            XCTAssertEqual(p, q, "the same (seed, epoch, sample) breaks the same way")
            if p != bar() { broken += 1 }
            XCTAssertEqual(p != bar(), augmenter.draw(sample: sample, epoch: 2).breaks)
        }
        XCTAssert((250 ... 350).contains(broken), "\(broken) of 1000 broken at break: 0.3")
    }
}
