// ThreadCommunicator: P ranks as threads of this process, at P = 1, 2, 3 and 4. Sums match the
// sequential sum in rank order bit for bit on every rank; reduceSum leaves the other ranks' buffers
// alone; broadcasts, allgather of records of different lengths, max, Int64 sums, 1000 collectives
// in a row, bucket-style non-blocking sums, the stall check, and failures that end run() instead
// of deadlocking. Mismatched counts end the process, so they are not tested here.

import Collective
import XCTest

final class ThreadCommunicatorTests: XCTestCase {
    private let worldSizes = [1, 2, 3, 4]

    func testPassesSelfCheck() throws {
        for P in worldSizes {
            let failures = try ThreadWorld.run(size: P) { collectiveSelfCheck($0) }
            XCTAssertEqual(failures, [[String]](repeating: [], count: P), "P = \(P)")
        }
    }

    func testTopology() throws {
        for P in worldSizes {
            let seen = try ThreadWorld.run(size: P) { comm in "\(comm.rank)/\(comm.size)/\(comm.kind)" }
            XCTAssertEqual(seen, (0..<P).map { "\($0)/\(P)/threads" })
        }
    }

    /// Values whose float sums depend on the order: the result must be the rank-order sum.
    private func value(_ i: Int, _ rank: Int) -> Float {
        Float(sin(Double(i) * 0.37 + Double(rank) * 1.9)) * (rank.isMultiple(of: 2) ? 1e4 : 1e-3)
    }

    func testFloatSumIsTheSequentialSumOnEveryRank() throws {
        for P in worldSizes {
            for n in [0, 1, 5, 1001] {
                let results = try ThreadWorld.run(size: P) { comm -> [UInt32] in
                    var x = (0..<n).map { self.value($0, comm.rank) }
                    comm.allreduceSum(&x)
                    return x.map(\.bitPattern)
                }
                let want = (0..<n).map { i in (1..<P).reduce(value(i, 0)) { $0 + value(i, $1) }.bitPattern }
                for r in 0..<P { XCTAssertEqual(results[r], want, "P = \(P), n = \(n), rank \(r)") }
            }
        }
    }

    func testDoubleAndInt64Sums() throws {
        for P in worldSizes {
            let results = try ThreadWorld.run(size: P) { comm -> ([UInt64], [Int64]) in
                var x = (0..<37).map { Double($0) / 3 + Double(comm.rank) * 1e10 }
                x.withUnsafeMutableBufferPointer { comm.allreduceSum($0) }
                var k = (0..<37).map { Int64(comm.rank + 1) << 40 + Int64($0) }
                k.withUnsafeMutableBufferPointer { comm.allreduceSum($0) }
                return (x.map(\.bitPattern), k)
            }
            func d(_ i: Int, _ q: Int) -> Double { Double(i) / 3 + Double(q) * 1e10 }
            let wantD: [UInt64] = (0..<37).map { i in (1..<P).reduce(d(i, 0)) { $0 + d(i, $1) }.bitPattern }
            let triangle = Int64(P * (P + 1) / 2)
            let wantK: [Int64] = (0..<37).map { i in triangle << 40 + Int64(P * i) }
            for r in 0..<P {
                XCTAssertEqual(results[r].0, wantD, "P = \(P), rank \(r)")
                XCTAssertEqual(results[r].1, wantK, "P = \(P), rank \(r)")
            }
        }
    }

    func testReduceSumTouchesOnlyTheRoot() throws {
        for P in worldSizes {
            let root = P - 1
            let results = try ThreadWorld.run(size: P) { comm -> [Float] in
                var x = (0..<11).map { self.value($0, comm.rank) }
                x.withUnsafeMutableBufferPointer { comm.reduceSum($0, root: root) }
                return x
            }
            for r in 0..<P {
                let want = r == root
                    ? (0..<11).map { i in (1..<P).reduce(value(i, 0)) { $0 + value(i, $1) } }
                    : (0..<11).map { value($0, r) }
                XCTAssertEqual(results[r].map(\.bitPattern), want.map(\.bitPattern), "P = \(P), rank \(r)")
            }
        }
    }

    func testBroadcasts() throws {
        for P in worldSizes {
            for root in Set([0, P - 1]).sorted() {
                let results = try ThreadWorld.run(size: P) { comm -> ([Float], [UInt8]) in
                    var x = [Float](repeating: Float(comm.rank), count: 9)
                    comm.broadcast(&x, root: root)
                    // Only root's bytes count, whatever the others pass (any length).
                    let mine = comm.rank == root ? [UInt8](0..<200) : [UInt8](repeating: 7, count: comm.rank)
                    return (x, comm.broadcast(bytes: mine, root: root))
                }
                for r in 0..<P {
                    XCTAssertEqual(results[r].0, [Float](repeating: Float(root), count: 9), "P = \(P), root \(root)")
                    XCTAssertEqual(results[r].1, [UInt8](0..<200), "P = \(P), root \(root)")
                }
            }
        }
    }

    func testAllgatherOfRecordsOfDifferentLength() throws {
        func record(_ q: Int) -> [UInt8] { (0..<(q * 5)).map { UInt8(truncatingIfNeeded: 3 * q + $0) } }
        for P in worldSizes {
            let results = try ThreadWorld.run(size: P) { comm in comm.allgather(bytes: record(comm.rank)) }
            for r in 0..<P { XCTAssertEqual(results[r], (0..<P).map(record), "P = \(P), rank \(r)") }
            let strings = try ThreadWorld.run(size: P) { comm in comm.allgather("rank \(comm.rank) ✓") }
            for r in 0..<P { XCTAssertEqual(strings[r], (0..<P).map { "rank \($0) ✓" }) }
        }
    }

    func testAllreduceMax() throws {
        for P in worldSizes {
            func v(_ i: Int, _ q: Int) -> Double { Double((i * 31 + q * 17) % 101) - 50 }
            let results = try ThreadWorld.run(size: P) { comm -> [Double] in
                var x = (0..<50).map { v($0, comm.rank) }
                x.withUnsafeMutableBufferPointer { comm.allreduceMax($0) }
                return x
            }
            let want = (0..<50).map { i in (0..<P).map { v(i, $0) }.max()! }
            for r in 0..<P { XCTAssertEqual(results[r], want, "P = \(P), rank \(r)") }
        }
    }

    func testThousandCollectivesInALoop() throws {
        for P in worldSizes {
            let results = try ThreadWorld.run(size: P) { comm -> Float in
                var x: [Float] = [0, 0, 0]
                for k in 0..<1000 {
                    var y: [Float] = [1, Float(comm.rank), Float(k % 3)]
                    comm.allreduceSum(&y)
                    x[0] += y[0]; x[1] += y[1]; x[2] += y[2]
                    if k % 100 == 0 {
                        comm.barrier()
                        comm.broadcast(&y, root: k / 100 % comm.size)
                    }
                }
                return x[0] * 1e6 + x[1] * 1e3 + x[2]
            }
            let ones = Float(1000 * P), ranks = Float(1000 * P * (P - 1) / 2), thirds = Float(P * 999)
            let want: Float = ones * 1e6 + ranks * 1e3 + thirds
            XCTAssertEqual(results, [Float](repeating: want, count: P), "P = \(P)")
        }
    }

    func testBucketsStartedThenWaited() throws {
        let n = 1000, buckets = [0..<300, 300..<301, 301..<301, 301..<1000]
        for P in worldSizes {
            let results = try ThreadWorld.run(size: P) { comm -> ([UInt32], Bool) in
                var x = (0..<n).map { self.value($0, comm.rank) }
                let complete = x.withUnsafeMutableBufferPointer { all -> Bool in
                    let pending = buckets.reversed().map { range in
                        comm.startAllreduceSum(UnsafeMutableBufferPointer(rebasing: all[range]))
                    }
                    for p in pending { comm.wait(p) }
                    return pending.allSatisfy(\.isComplete)
                }
                return (x.map(\.bitPattern), complete)
            }
            let want = (0..<n).map { i in (1..<P).reduce(value(i, 0)) { $0 + value(i, $1) }.bitPattern }
            for r in 0..<P {
                XCTAssertEqual(results[r].0, want, "P = \(P), rank \(r)")
                XCTAssertTrue(results[r].1, "P = \(P), rank \(r): a reduction is not complete after wait")
            }
        }
    }

    func testStallCheckReportsTheLateRank() throws {
        // (step, missing ranks, seconds waited) for every warning.
        let warnings = try ThreadWorld.run(size: 3) { comm -> [(Int, [Int], Double)] in
            var seen: [(Int, [Int], Double)] = []
            for step in 0..<3 {
                if comm.rank == 2 && step == 1 { usleep(500_000) }
                comm.arrive(step: step, warnAfter: 0.1) { missing, seconds in seen.append((step, missing, seconds)) }
                comm.barrier()
            }
            return seen
        }
        let late = warnings[0].filter { $0.0 == 1 }
        XCTAssertFalse(late.isEmpty, "rank 0 was not told that rank 2 was late: \(warnings[0])")
        XCTAssertTrue(late.allSatisfy { $0.1.contains(2) && $0.2 >= 0.1 }, "\(late)")
        XCTAssertTrue(warnings[1].isEmpty && warnings[2].isEmpty, "only rank 0 waits")
    }

    private struct RankFailed: Error, Equatable { let rank: Int }

    func testAThrowingRankEndsRunInsteadOfDeadlocking() {
        XCTAssertThrowsError(try ThreadWorld.run(size: 3) { comm -> Int in
            if comm.rank == 1 { throw RankFailed(rank: 1) }
            comm.barrier()  // ranks 0 and 2 would wait here forever
            return 0
        }) { error in
            XCTAssertEqual(error as? RankFailed, RankFailed(rank: 1))
        }
    }

    func testACollectiveAReturnedRankNeverEntersIsAnError() {
        XCTAssertThrowsError(try ThreadWorld.run(size: 2) { comm -> Int in
            if comm.rank == 0 { comm.barrier() }
            return comm.rank
        }) { error in
            guard case .unmatchedCollective(rank: 0, finished: [1])? = error as? ThreadWorldError else {
                return XCTFail("unexpected error \(error)")
            }
        }
    }
}
