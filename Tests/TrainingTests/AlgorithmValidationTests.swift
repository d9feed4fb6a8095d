// The joint alpha/beta/gamma fit of forced algorithms: timings made from known parameters in each
// algorithm's own terms are fitted back exactly (so every model error is 0), a negative parameter is
// held at 0, and launch/scale's algorithms/<place>-np<N>-<algorithm>.json files are read and grouped,
// a file whose name does not carry its world size being named.

import Core
import Foundation
import Training
import XCTest

final class AlgorithmValidationTests: XCTestCase {
    private let sizes = [4, 1024, 65_536, 262_144, 1 << 20, 4 << 20]

    private func synthetic(ranks: Int, alpha: Double, beta: Double, gamma: Double) -> [(AllreduceAlgorithm, Int, Double)] {
        [AllreduceAlgorithm.ring, .recursiveDoubling, .rabenseifner].flatMap { a in
            sizes.map { n -> (AllreduceAlgorithm, Int, Double) in
                let t = AllreduceChoice.forced(a).algorithm(bytes: n, ranks: ranks).terms(bytes: Double(n), ranks: ranks)!
                return (a, n, t.latencySteps * alpha + t.bytesSent * beta + t.bytesReduced * gamma)
            }
        }
    }

    func testJointFitRecoversKnownParametersAtFourRanks() throws {
        let v = try AlgorithmValidation(place: "shm", ranks: 4, measured: synthetic(ranks: 4, alpha: 3e-6, beta: 2e-10, gamma: 4e-10))
        XCTAssertEqual(v.alpha, 3e-6, accuracy: 1e-12)
        XCTAssertEqual(v.beta, 2e-10, accuracy: 1e-15)
        XCTAssertEqual(v.gamma, 4e-10, accuracy: 1e-15)
        XCTAssertEqual(v.rows.count, 18)
        XCTAssertLessThan(v.worstGoalError, 1e-6)
        XCTAssertEqual(v.goalRows.map(\.bytes).min(), 65_536)
    }

    /// Recursive doubling (which reduces n bytes at p = 2) measured FASTER than ring and Rabenseifner
    /// (which reduce n/2): unconstrained, gamma would come out negative. It is held at exactly 0 and
    /// alpha and beta refitted.
    func testNegativeGammaIsHeldAtZero() throws {
        let measured = synthetic(ranks: 2, alpha: 5e-6, beta: 1e-9, gamma: 0).map { m -> (AllreduceAlgorithm, Int, Double) in
            (m.0, m.1, m.0 == .recursiveDoubling ? m.2 * 0.9 : m.2)
        }
        let terms = measured.filter { $0.1 >= AlgorithmValidation.goalFromBytes }.map {
            AllreduceChoice.forced($0.0).algorithm(bytes: $0.1, ranks: 2).terms(bytes: Double($0.1), ranks: 2)!
        }
        XCTAssertFalse(terms.isEmpty)
        let v = try AlgorithmValidation(place: "1gbit", ranks: 2, measured: measured)
        XCTAssertEqual(v.gamma, 0, "held at 0, not negative")
        XCTAssertGreaterThan(v.beta, 0.9e-9)
        XCTAssertLessThan(v.beta, 1e-9)
        XCTAssertLessThan(v.worstGoalError, 0.1, "one alpha/beta between the two groups of timings, 10% apart")
    }

    func testFilesAreGroupedByPlaceAndWorldSize() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("algos-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/algorithms", withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        for (place, np) in [("shm", 2), ("shm", 4), ("2.5gbit", 2)] {
            for (a, rows) in Dictionary(grouping: synthetic(ranks: np, alpha: 1e-5, beta: 1e-9, gamma: 1e-10), by: { $0.0 }) {
                let r = AllreduceBenchRecord(worldSize: np, repeats: 10, samples: rows.map {
                    AllreduceBenchRecord.Sample(bytes: $0.1, us: $0.2 * 1e6, algbwGBs: Double($0.1) / $0.2 / 1e9) }, algorithm: a.rawValue)
                try r.jsonText().write(toFile: folder + "/algorithms/\(place)-np\(np)-\(a.rawValue).json", atomically: true, encoding: .utf8)
            }
        }
        let all = try AlgorithmValidation.load(folder: folder)
        XCTAssertEqual(all.map { "\($0.place)/\($0.ranks)" }, ["2.5gbit/2", "shm/2", "shm/4"])
        for v in all { XCTAssertLessThan(v.worstGoalError, 1e-6, "\(v.place) np=\(v.ranks)"); XCTAssertEqual(v.rows.count, 18) }

        let wrong = AllreduceBenchRecord(worldSize: 4, repeats: 1, samples: [], algorithm: "ring")
        try wrong.jsonText().write(toFile: folder + "/algorithms/shm-np2-ring.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try AlgorithmValidation.load(folder: folder)) { e in
            XCTAssertTrue("\(e)".contains("shm-np2-ring.json") && "\(e)".contains("world size 4"), "\(e)")
        }
    }
}
