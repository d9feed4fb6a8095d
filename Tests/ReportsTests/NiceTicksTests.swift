// Tick generation: 1-2-5 steps that bound the data, integer axes, degenerate ranges, log axes,
// and labels without float noise.

import Core
import Reports
import XCTest

final class NiceTicksTests: XCTestCase {
    func testStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        XCTAssertEqual(NiceTicks.step(span: 10, target: 5), 2)
        XCTAssertEqual(NiceTicks.step(span: 100, target: 5), 20)
        XCTAssertEqual(NiceTicks.step(span: 0.74, target: 6), 0.2, accuracy: 1e-12)
        XCTAssertEqual(NiceTicks.step(span: 3, target: 6), 0.5)
        XCTAssertEqual(NiceTicks.step(span: 7000, target: 6), 2000)
        for span in [0.0013, 0.9, 1, 7.5, 42, 999, 123456] {
            let s = NiceTicks.step(span: span, target: 6)
            let mantissa = s / pow(10, log10(s).rounded(.down))
            XCTAssertTrue([1, 2, 5, 10].contains { abs($0 - mantissa) < 1e-9 }, "step \(s) for span \(span)")
            XCTAssertLessThanOrEqual(span / s, 6 + 1e-9)
        }
    }

    func testLinearTicksBoundTheData() {
        XCTAssertEqual(NiceTicks.linear(lo: 0, hi: 100, target: 5), [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(NiceTicks.linear(lo: 0.13, hi: 0.87), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(NiceTicks.linear(lo: 96.3, hi: 98.9), [96, 96.5, 97, 97.5, 98, 98.5, 99])
        let t = NiceTicks.linear(lo: 2.3, hi: 0.021)         // reversed input
        XCTAssertLessThanOrEqual(t.first!, 0.021)
        XCTAssertGreaterThanOrEqual(t.last!, 2.3)
        XCTAssertEqual(NiceTicks.linear(lo: -3.2, hi: 4.1), [-4, -2, 0, 2, 4, 6])
    }

    func testIntegerAndDegenerateRanges() {
        XCTAssertEqual(NiceTicks.linear(lo: 1, hi: 3, integers: true), [1, 2, 3])
        XCTAssertEqual(NiceTicks.linear(lo: 1, hi: 1, integers: true), [0, 1, 2])
        let flat = NiceTicks.linear(lo: 5, hi: 5)
        XCTAssertGreaterThan(flat.count, 1)
        XCTAssertLessThan(flat.first!, 5)
        XCTAssertGreaterThan(flat.last!, 5)
        XCTAssertEqual(NiceTicks.linear(lo: 0, hi: 0).count > 1, true)
        XCTAssertEqual(NiceTicks.linear(lo: .nan, hi: .infinity), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    }

    func testLogTicks() {
        XCTAssertEqual(NiceTicks.log(lo: 0.003, hi: 2.5), [0.001, 0.01, 0.1, 1, 10])
        XCTAssertEqual(NiceTicks.log(lo: 0.2, hi: 3), [0.2, 0.5, 1, 2, 5])
        XCTAssertEqual(NiceTicks.log(lo: 10, hi: 10), [5, 10, 20])
        XCTAssertEqual(NiceTicks.log(lo: -1, hi: 0), [1, 2, 5, 10])        // no positive data: a default decade
    }

    func testLabelsHaveJustEnoughDecimals() {
        XCTAssertEqual(NiceTicks.label(0.30000000000000004, step: 0.1), "0.3")
        XCTAssertEqual(NiceTicks.label(-0.0, step: 1), "0")
        XCTAssertEqual(NiceTicks.label(-1e-17, step: 0.5), "0.0")
        XCTAssertEqual(NiceTicks.label(2500, step: 500), "2500")
        XCTAssertEqual(NiceTicks.label(0.025, step: 0.005), "0.025")
        XCTAssertEqual(NiceTicks.logLabel(0.01), "0.01")
        XCTAssertEqual(NiceTicks.logLabel(200), "200")
        XCTAssertEqual(NiceTicks.logLabel(1e-5), "1e-05")
    }
}
