// `dtrain bench train --json` end to end: at np=2 the exchange figures are there (per-step
// median/mean/p90, the bare allreduce of exactly the exchange buffer's bytes, the ratios, the stall
// check) and one compute time per rank, at np=1 the exchange is null; the layers ReLU and flatten
// that the fused pass leaves out say where they went. Only that the figures exist and are positive is asserted,
// never their size: timings depend on the machine.

import Core
import Foundation
import XCTest

final class BenchTests: XCTestCase {
    private func benchJSON(ranks: Int?) throws -> [String: Any] {
        let args = ["bench", "train", "--config", lenetConfig, "--steps", "6", "--warmup", "2", "--json"]
            + sets(["data.path": try SmallMNIST.folder(), "data.validation": SmallMNIST.validation, "train.batch_size": 16])
        let r = try dtrain(args, ranks: ranks)
        assertSucceeded(r, "bench train at np=\(ranks ?? 1)")
        let line = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw SupportError("bench train --json did not print a JSON object\n\(r)")
        }
        return object
    }

    func testExchangeFiguresAtTwoRanks() throws {
        let json = try benchJSON(ranks: 2)
        let exchange = try XCTUnwrap(json["exchange"] as? [String: Any], "no exchange object in \(json)")
        XCTAssertEqual(exchange["strategy"] as? String, "flat")
        XCTAssertEqual(exchange["steps"] as? Int, 6)
        XCTAssertEqual(exchange["bare_allreduce_bytes"] as? Int, (61_706 + 3) * 4)   // LeNet-5's p + 3 floats
        for key in ["median_us", "mean_us", "p90_us", "bare_allreduce_us", "ratio", "paired_exchange_us",
                    "paired_bare_allreduce_us", "paired_ratio", "arrival_median_us"] {
            let value = (exchange[key] as? NSNumber)?.doubleValue
            XCTAssertNotNil(value, "exchange.\(key) missing or not a number in \(exchange)")
            XCTAssertGreaterThan(value ?? 0, 0, "exchange.\(key)")
        }
        let perRank = try XCTUnwrap(json["rank_compute_ms"] as? [NSNumber], "rank_compute_ms in \(json.keys)")
        XCTAssertEqual(perRank.count, 2)
        XCTAssertTrue(perRank.allSatisfy { $0.doubleValue > 0 }, "\(perRank)")
    }

    func testFusedLayersAreNamed() throws {
        let json = try benchJSON(ranks: nil)
        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        var fused: [String: String] = [:]
        for layer in layers { if let into = layer["fused_into"] as? String { fused[layer["name"] as? String ?? "?"] = into } }
        XCTAssertEqual(fused, ["relu1": "conv1", "relu2": "conv2", "flatten1": "view"])
    }

    func testNoExchangeAtOneRank() throws {
        let json = try benchJSON(ranks: nil)
        XCTAssertTrue(json["exchange"] is NSNull, "expected \"exchange\": null at world size 1, got \(json["exchange"] ?? "nothing")")
    }
}
