// The arithmetic behind `dtrain bench train`'s exchange figures, on hand-made numbers (no timing):
// median / p90 / mean of samples, per-step slowest rank, stall-check seconds from clock readings,
// the recorder's alternation of bare and exchange steps, and the printed line.

import Core
import Collective
import Foundation
import NN
import Training
import XCTest

final class ExchangeBenchTests: XCTestCase {
    func testSummaryOfOddAndEvenCounts() {
        let odd = SampleSummary([5, 1, 4, 2, 3])
        XCTAssertEqual(odd.count, 5)
        XCTAssertEqual(odd.median, 3)
        XCTAssertEqual(odd.mean, 3)
        XCTAssertEqual(odd.min, 1)
        XCTAssertEqual(odd.max, 5)
        XCTAssertEqual(odd.p90, 4.6, accuracy: 1e-12)         // 0.9 x 4 = rank 3.6: 4 + 0.6 x (5 - 4)
        let even = SampleSummary([10, 40, 20, 30])
        XCTAssertEqual(even.median, 25)                         // the mean of the middle two
        XCTAssertEqual(even.p90, 37, accuracy: 1e-12)           // rank 2.7: 30 + 0.7 x 10
    }

    func testOutlierMovesTheMeanNotTheMedian() {
        let s = SampleSummary([50, 51, 49, 50, 5000])
        XCTAssertEqual(s.median, 50)
        XCTAssertEqual(s.mean, 1040)
    }

    func testSummaryOfOneAndOfNone() {
        let one = SampleSummary([7.5])
        XCTAssertEqual([one.median, one.p90, one.mean, one.min, one.max], [7.5, 7.5, 7.5, 7.5, 7.5])
        let none = SampleSummary([Double]())
        XCTAssertEqual(none.count, 0)
        XCTAssertEqual([none.median, none.p90, none.mean], [0, 0, 0])
    }

    func testQuantileEnds() {
        XCTAssertEqual(quantile(sorted: [1, 2, 3], 0), 1)
        XCTAssertEqual(quantile(sorted: [1, 2, 3], 1), 3)
        XCTAssertEqual(quantile(sorted: [1, 2, 3], 2), 3)       // clamped
        XCTAssertEqual(quantile(sorted: [], 0.5), 0)
    }

    func testSlowestRankPerStep() {
        XCTAssertEqual(slowestRank([[1, 5, 3], [2, 4, 6]]), [2, 5, 6])
        XCTAssertEqual(slowestRank([[1, 5, 3], [2]]), [2])      // only steps every rank recorded
        XCTAssertEqual(slowestRank([]), [])
    }

    /// Two ranks, two steps, one clock (seconds): rank 1 finishes backward late in step 1.
    func testArrivalFromClocks() {
        let t2: [[Double]] = [[10.0, 20.0], [10.5, 20.0]]       // backward done
        let t3: [[Double]] = [[10.6, 20.1], [10.6, 20.15]]      // past the stall check
        let arrival = arrivalSeconds(backwardDone: t2, arrived: t3)
        XCTAssertEqual(arrival[0], 0.1, accuracy: 1e-9)          // from rank 1's t2, not rank 0's
        XCTAssertEqual(arrival[1], 0.15, accuracy: 1e-9)         // to rank 1's t3, the later one
    }

    /// Paired mode: even steps time a bare allreduce (none of their clocks are kept), odd steps keep
    /// clocks; with one rank the in-place allreduce and the 1/world size scale leave the buffer as it was.
    func testPairedRecorderAlternates() {
        let recorder = ExchangeRecorder(steps: 5, paired: true, comm: LocalCommunicator())
        let exchange = ExchangeBuffer(parameterCount: 1)         // [gradient | loss, correct, samples]
        let buffer = exchange.whole
        _ = buffer.initialize(from: [1, -2, 3.5, 64])
        for k in 0..<7 {                                          // two past the capacity: ignored
            recorder.beforeExchange(step: k + 1, buffer: exchange)
            recorder.stepFinished(record(k))
        }
        XCTAssertEqual(recorder.bareSeconds.count, 3)             // steps 0, 2, 4
        XCTAssertEqual(recorder.arrivedTimes, [1.25, 3.25])       // steps 1, 3
        XCTAssertEqual(recorder.exchangedTimes, [1.5, 3.5])
        XCTAssertEqual(Array(buffer), [1, -2, 3.5, 64])
    }

    /// Step k's record: backward done at k, past the stall check at k + 0.25, exchanged at k + 0.5.
    private func record(_ k: Int) -> StepRecord {
        var clock = StepClock()
        clock.backwardDone = Double(k); clock.exchangeEntered = Double(k) + 0.25; clock.exchanged = Double(k) + 0.5
        return StepRecord(step: k + 1, clock: clock)
    }

    func testPlainRecorderKeepsEveryStep() {
        let recorder = ExchangeRecorder(steps: 3, paired: false, comm: LocalCommunicator())
        let exchange = ExchangeBuffer(parameterCount: 1)
        exchange.whole[0] = 1
        for k in 0..<4 {
            recorder.beforeExchange(step: k + 1, buffer: exchange)
            recorder.stepFinished(record(k))
        }
        XCTAssertEqual(recorder.backwardDoneTimes, [0, 1, 2])
        XCTAssertEqual(recorder.bareSeconds, [])
    }

    func testPrintedLineAndJSON() {
        let timing = ExchangeTiming(strategy: "flat", bytes: 246_836, exchange: SampleSummary([40e-6, 50e-6, 60e-6, 100e-6]),
                                    bare: SampleSummary([50e-6]), arrival: SampleSummary([5e-6]),
                                    paired: (SampleSummary([60e-6]), SampleSummary([60e-6])))
        let text = timing.text()
        XCTAssertTrue(text.hasPrefix("exchange (flat): median 55.0 us (mean 62.5, p90 88.0) vs bare MPI_Allreduce of 246,836 B 50.0 us = 1.10x\n"), text)
        XCTAssertTrue(text.contains("exchange 60.0 us vs 60.0 us = 1.00x"), text)
        XCTAssertTrue(text.contains("median 5.0 us"), text)
        XCTAssertTrue(text.contains("gradients as fp32: 246,836 B per rank and step"), text)
        let json = try? JSONSerialization.jsonObject(with: Data(recordJSONText(timing.record).utf8)) as? [String: Any]
        XCTAssertEqual((json?["ratio"] as? NSNumber)?.doubleValue ?? 0, 1.1, accuracy: 1e-9)
        XCTAssertEqual(json?["bare_allreduce_bytes"] as? Int, 246_836)
        XCTAssertEqual(json?["wire_bytes_per_step"] as? Int, 246_836, "uncompressed: the wire carries the whole buffer")
        XCTAssertEqual((json?["paired_ratio"] as? NSNumber)?.doubleValue ?? 0, 1, accuracy: 1e-9)
    }
}
