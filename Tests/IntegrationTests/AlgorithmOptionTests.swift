// `--algorithm` end to end: an unknown name exits 2 with one line listing the valid ones (scale
// project, summary, bench comm, which also refuses two-level: coll/tuned cannot run it), and
// `summary --world` names the algorithm Open MPI's fixed rules choose.

import Core
import Foundation
import XCTest

final class AlgorithmOptionTests: XCTestCase {
    private let model = "configs/models/lenet5.yaml"

    private func expectExitTwo(_ args: [String], listing valid: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try dtrain(args)
        XCTAssertEqual(r.status, 2, "\(r)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains("--algorithm") && r.stderr.contains(valid), "\(r)", file: file, line: line)
    }

    func testUnknownAlgorithmExitsTwoListingTheValidOnes() throws {
        let all = "expected one of: default, ring, recursive-doubling, rabenseifner, reduce-bcast, basic-linear, two-level"
        try expectExitTwo(["scale", "project", "--algorithm", "tree", "--compute-ms-per-image", "0.1", "--contrast", ""], listing: all)
        try expectExitTwo(["summary", model, "--world", "8", "--algorithm", "tree"], listing: all)
        let measurable = "expected one of: default, ring, recursive-doubling, rabenseifner, reduce-bcast, basic-linear"
        try expectExitTwo(["bench", "comm", "--algorithm", "tree"], listing: measurable)
        try expectExitTwo(["bench", "comm", "--algorithm", "two-level"], listing: measurable)
    }

    func testSummaryNamesOpenMPIsChoice() throws {
        let ok = try dtrain(["summary", model, "--world", "1024", "--json"])
        XCTAssertEqual(ok.status, 0, "\(ok)")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any], ok.stdout)
        XCTAssertEqual(json["allreduce_algorithm"] as? String, "rabenseifner")
        let ring = try dtrain(["summary", model, "--world", "1024", "--algorithm", "ring", "--json"])
        let ringJSON = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ring.stdout.utf8)) as? [String: Any], ring.stdout)
        XCTAssertEqual(ringJSON["allreduce_algorithm"] as? String, "ring")
        let t = (json["predicted_allreduce_ms"] as? NSNumber)?.doubleValue ?? .nan
        let tRing = (ringJSON["predicted_allreduce_ms"] as? NSNumber)?.doubleValue ?? .nan
        XCTAssertLessThan(t, tRing / 5, "Rabenseifner's 20 latency steps against the ring's 2046")
    }
}
