// The exact strategy's fixed-point passes: the largest magnitude (and non-finite detection) by bit
// pattern, and rounding to nearest with ties to even, accumulated.

import Core
import XCTest
import NN

final class FixedPointTests: XCTestCase {
    func testLargestMagnitudeBits() {
        func largest(_ values: [Float]) -> UInt32 { values.withUnsafeBufferPointer { largestMagnitudeBits($0.baseAddress!, count: $0.count) } }
        XCTAssertEqual(Float(bitPattern: largest([0.5, -3, 2, -0.0])), 3)
        XCTAssertEqual(largest([-0.0, 0]), 0)
        XCTAssertGreaterThanOrEqual(largest([1, -.infinity]), Float.infinity.bitPattern)
        XCTAssertGreaterThanOrEqual(largest([.nan, 1]), Float.infinity.bitPattern)
        XCTAssertLessThan(largest([.greatestFiniteMagnitude, -1]), Float.infinity.bitPattern)
    }

    func testAddFixedPointRoundsToNearestEven() {
        let g: [Float] = [0.5, 1.5, 2.5, -0.5, -1.5, 0.25, 0.75, 3]
        var q = [Int64](repeating: 10, count: g.count)
        g.withUnsafeBufferPointer { gp in q.withUnsafeMutableBufferPointer { addFixedPoint(gp.baseAddress!, scale: 1, into: $0.baseAddress!, count: g.count) } }
        XCTAssertEqual(q, [10, 12, 12, 10, 8, 10, 11, 13])
        g.withUnsafeBufferPointer { gp in q.withUnsafeMutableBufferPointer { addFixedPoint(gp.baseAddress!, scale: 4, into: $0.baseAddress!, count: g.count) } }
        XCTAssertEqual(q, [12, 18, 22, 8, 2, 11, 14, 25])
    }
}
