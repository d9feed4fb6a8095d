// `dtrain summary --world` figures for LeNet-5 (61,706 x 4 gradient bytes, the ring's 2(N-1)/N
// share, the predicted time) in the table and the JSON, and a launch/scale points.jsonl read
// back with speedup, efficiency and a failed strategy kept as a row with its error.

import Core
import Foundation
import NN
import Training
import XCTest

final class ScalingReportTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    private func lenetSummary() throws -> ModelSummary {
        ModelSummary(plan: try NetworkPlan(try ModelSpec.load(path: root + "/configs/models/lenet5.yaml")))
    }

    func testSummaryWorldFourForLeNet5() throws {
        var summary = try lenetSummary()
        XCTAssertEqual(summary.totalParams, 61_706)
        let network = NetworkAssumption(name: "10G", model: RingModel(latencyMicroseconds: 5, gigabitsPerSecond: 10), gamma: 0)
        summary.exchange = gradientExchange(parameters: summary.totalParams, world: 4, network: network, choice: .forced(.ring),
                                            source: "stated defaults")
        let e = try XCTUnwrap(summary.exchange)
        XCTAssertEqual(e.gradientBytes, 246_824)                             // 61,706 x 4
        XCTAssertEqual(e.algorithm, "ring")
        XCTAssertEqual(e.bytesSentPerRank, 370_236, accuracy: 1e-9)          // 2 x 3/4 x 246,824
        XCTAssertEqual(e.predictedSeconds, 6 * 5e-6 + 370_236 * 8e-10, accuracy: 1e-12)   // 0.326 ms

        let table = summary.table()
        XCTAssertTrue(table.contains("World size: 4 (one allreduce of every gradient per step: ring)"), table)
        XCTAssertTrue(table.contains("Gradient bytes per step: 246,824 (4 x 61,706 params)"), table)
        XCTAssertTrue(table.contains("Allreduce bytes sent per rank: 370,236 (ring, critical path)"), table)
        XCTAssertTrue(table.contains("Predicted allreduce per step: 0.326 ms (alpha 5.00 us, 1.25 GB/s: stated defaults; algorithm: forced by --algorithm)"), table)

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(summary.json().utf8)) as? [String: Any])
        XCTAssertEqual(json["total_params"] as? Int, 61_706)                 // the existing keys stay
        XCTAssertNotNil(json["total_size_mb"])
        XCTAssertEqual(json["world_size"] as? Int, 4)
        XCTAssertEqual(json["gradient_bytes"] as? Int, 246_824)
        XCTAssertEqual(json["allreduce_bytes_per_rank"] as? Int, 370_236)
        XCTAssertEqual((json["predicted_allreduce_ms"] as? NSNumber)?.doubleValue ?? 0, 0.3261888, accuracy: 1e-6)
        XCTAssertEqual(json["comm_model_source"] as? String, "stated defaults; algorithm: forced by --algorithm")
        XCTAssertEqual(json["allreduce_algorithm"] as? String, "ring")
    }

    func testSummaryWithoutWorldIsUnchangedAndWorldOneExchangesNothing() throws {
        var summary = try lenetSummary()
        XCTAssertFalse(summary.table().contains("World size"))
        XCTAssertNil((try JSONSerialization.jsonObject(with: Data(summary.json().utf8)) as? [String: Any])?["world_size"])
        summary.exchange = gradientExchange(parameters: summary.totalParams, world: 1, network: .ethernet10, choice: .mpiDefault, source: "x")
        XCTAssertEqual(summary.exchange?.bytesSentPerRank, 0)
        XCTAssertEqual(summary.exchange?.predictedSeconds, 0)
    }

    func testSummaryNetworkFallsBackToStatedDefaultsOrReadsTheFit() throws {
        let missing = NSTemporaryDirectory() + "no-such-fit-\(UUID().uuidString).json"
        XCTAssertThrowsError(try summaryNetwork(fitPath: missing))            // a named fit must exist
        let path = NSTemporaryDirectory() + "fit-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let samples = [AllreduceSample(bytes: 4, seconds: 2e-6), AllreduceSample(bytes: 1 << 20, seconds: 1e-3)]
        try CommFitFile.save(try RingFit(samples: samples, ranks: 2), host: "mpi on test", to: path)
        let (network, fit, source) = try summaryNetwork(fitPath: path)
        XCTAssertTrue(source.contains(path) && source.contains("ring at world size 2"), source)
        XCTAssertEqual(fit?.ranks, 2)
        // the 4-byte sample ran recursive doubling (1 Float < 2 ranks): alpha + 4 beta
        XCTAssertEqual(fit?.modelSeconds(bytes: 4) ?? 0, 2e-6, accuracy: 1e-9)
        XCTAssertEqual(network.model.alpha + 4 * network.model.beta, 2e-6, accuracy: 1e-9)
    }

    func testSweepPointsGiveSpeedupEfficiencyAndKeepFailures() throws {
        let folder = NSTemporaryDirectory() + "scale-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func bench(_ ips: Double) -> String {
            "{\"images_per_sec\": \(ips), \"step_ms\": 10, \"compute_ms\": 7.5, \"allreduce_ms\": 1, \"data_ms\": 0.5, \"wait_ms\": 0.5, \"optimizer_ms\": 0.5, \"batch\": 64}"
        }
        let lines = [
            "{\"mode\": \"weak\", \"strategy\": \"flat\", \"np\": 1, \"batch_per_rank\": 64, \"oversubscribed\": false, \"status\": \"ok\", \"bench\": \(bench(1000))}",
            "{\"mode\": \"weak\", \"strategy\": \"flat\", \"np\": 4, \"batch_per_rank\": 64, \"oversubscribed\": true, \"status\": \"ok\", \"bench\": \(bench(3000))}",
            "{\"mode\": \"weak\", \"strategy\": \"exact\", \"np\": 4, \"batch_per_rank\": 64, \"oversubscribed\": true, \"status\": \"failed\", \"error\": \"rank 0: error: bad, really\"}",
        ]
        try lines.joined(separator: "\n").write(toFile: folder + "/points.jsonl", atomically: true, encoding: .utf8)
        let sweep = try ScalingSweep.load(folder: folder)
        XCTAssertEqual(sweep.points.count, 3)
        let four = sweep.points[1]
        XCTAssertEqual(four.speedup, 3, accuracy: 1e-12)
        XCTAssertEqual(four.efficiency, 0.75, accuracy: 1e-12)
        XCTAssertEqual(four.globalBatch, 256)
        XCTAssertFalse(sweep.points[2].ok)
        XCTAssertEqual(sweep.strategies, ["flat", "exact"])
        let cost = try XCTUnwrap(sweep.computeCost)
        XCTAssertEqual(cost.secondsPerImage, 8e-3 / 64, accuracy: 1e-15)      // (7.5 + 0.5) ms / 64
        let csv = sweep.csv().split(separator: "\n")
        XCTAssertEqual(csv.count, 4)
        XCTAssertTrue(csv[2].hasPrefix("weak,flat,4,64,256,yes,ok,3000.0,"), String(csv[2]))
        XCTAssertTrue(csv[3].contains(",\"rank 0: error: bad, really\","), String(csv[3]))
        XCTAssertTrue(csv[0].hasSuffix(",error,model,link,ranks_per_host,compress,exchange_ms,wire_bytes"), String(csv[0]))
    }
}
