// The bench and scaling records (Core/Records): `dtrain bench train --json`, `bench comm --json`,
// the saved comm fit and a launch/scale point each round-trip through their one type, write
// non-finite numbers as null, and still read lines in the format of the old JSONObject writers.

import Core
import Foundation
import Training
import XCTest

final class BenchRecordTests: XCTestCase {
    private func sampleBench() -> TrainBenchRecord {
        var r = TrainBenchRecord()
        r.model = "lenet5"; r.worldSize = 2; r.batch = 64; r.steps = 100
        r.stepMs = 5.25; r.imagesPerSec = 24_380.952380952382
        r.dataMs = 0.125; r.computeMs = 4.5; r.waitMs = 0.01; r.allreduceMs = 0.2; r.optimizerMs = 0.05
        r.rankComputeMs = [4.5, 4.625]; r.sgemmGFLOPs = 102.14796559640021; r.peakRSSMB = 38.390625
        var e = ExchangeBenchRecord()
        e.strategy = "flat"; e.steps = 100; e.medianUs = 150.5; e.meanUs = 160.25; e.p90Us = 200
        e.bareAllreduceBytes = 246_836; e.bareAllreduceUs = 140; e.bareAllreduceRepeats = 100; e.ratio = 1.075
        e.arrivalMedianUs = 5.5
        r.exchange = e
        r.layers = [.init(name: "conv1", kind: "conv", forwardMs: 0.5, backwardMs: 1.25, forwardGFLOPs: 10.5, backwardGFLOPs: 12, fusedInto: nil),
                    .init(name: "relu1", kind: "relu", forwardMs: 0, backwardMs: 0.01, forwardGFLOPs: 0, backwardGFLOPs: 0, fusedInto: "conv1")]
        return r
    }

    func testTrainBenchRoundTripAndNulls() throws {
        let r = sampleBench()
        let text = r.jsonText()
        XCTAssertFalse(text.contains("\n"))
        XCTAssertEqual(try TrainBenchRecord.decode(text, origin: "t"), r)
        // the keys readers and tests rely on, with null where nothing was measured
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(Set(o.keys), ["model", "world_size", "batch", "steps", "step_ms", "images_per_sec", "data_ms", "compute_ms",
                                     "wait_ms", "allreduce_ms", "optimizer_ms", "rank_compute_ms", "sgemm_gflops", "peak_rss_mb",
                                     "exchange", "layers"])
        let exchange = try XCTUnwrap(o["exchange"] as? [String: Any])
        XCTAssertTrue(exchange["paired_ratio"] is NSNull)
        XCTAssertEqual(exchange["bare_allreduce_bytes"] as? Int, 246_836)
        XCTAssertTrue(((o["layers"] as? [[String: Any]])?[0]["fused_into"]) is NSNull)

        var single = r
        single.exchange = nil; single.stepMs = .nan; single.rankComputeMs = [.infinity]
        let t1 = single.jsonText()
        XCTAssertTrue(t1.contains("\"exchange\":null") && t1.contains("\"step_ms\":null") && t1.contains("\"rank_compute_ms\":[null]"), t1)
        let back = try TrainBenchRecord.decode(t1, origin: "t")
        XCTAssertNil(back.exchange)
        XCTAssertTrue(back.stepMs.isNaN && back.rankComputeMs[0].isNaN)
    }

    func testOldTrainBenchLineReadsAndGivesComputeCost() throws {
        // TrainBenchResult.json() as the JSONObject writer printed it
        let old = "{\"model\": \"lenet5\", \"world_size\": 2, \"batch\": 64, \"steps\": 100, \"step_ms\": 5.25, "
            + "\"images_per_sec\": 24380.95238, \"data_ms\": 0.125, \"compute_ms\": 4.5, \"wait_ms\": 0.01, \"allreduce_ms\": 0.2, "
            + "\"optimizer_ms\": 0.05, \"rank_compute_ms\": [4.5, 4.625], \"sgemm_gflops\": 102.1479656, \"peak_rss_mb\": 38.390625, "
            + "\"exchange\": {\"strategy\": \"flat\", \"steps\": 100, \"median_us\": 150.5, \"mean_us\": 160.25, \"p90_us\": 200, "
            + "\"bare_allreduce_bytes\": 246836, \"bare_allreduce_us\": 140, \"bare_allreduce_repeats\": 100, \"ratio\": 1.075, "
            + "\"paired_exchange_us\": null, \"paired_bare_allreduce_us\": null, \"paired_ratio\": null, \"arrival_median_us\": 5.5}, "
            + "\"layers\": [{\"name\": \"conv1\", \"kind\": \"conv\", \"forward_ms\": 0.5, \"backward_ms\": 1.25, \"forward_gflops\": 10.5, "
            + "\"backward_gflops\": 12, \"fused_into\": null}, {\"name\": \"relu1\", \"kind\": \"relu\", \"forward_ms\": 0, "
            + "\"backward_ms\": 0.01, \"forward_gflops\": 0, \"backward_gflops\": 0, \"fused_into\": \"conv1\"}]}"
        var expected = sampleBench()
        expected.imagesPerSec = 24380.95238; expected.sgemmGFLOPs = 102.1479656
        XCTAssertEqual(try TrainBenchRecord.decode(old, origin: "old"), expected)
        let cost = try ComputeCost(bench: TrainBenchRecord.decode(old, origin: "old"), origin: "old")
        XCTAssertEqual(cost.secondsPerImage, 4.55e-3 / 64, accuracy: 1e-15)
        XCTAssertTrue(cost.source.contains("np=2") && cost.source.contains("batch 64"), cost.source)

        var missing = TrainBenchRecord(); missing.batch = 64; missing.optimizerMs = 1
        XCTAssertThrowsError(try ComputeCost(bench: missing, origin: "b.json")) { XCTAssertTrue("\($0)".contains("compute_ms"), "\($0)") }
        XCTAssertThrowsError(try TrainBenchRecord.decode("{\"compute_ms\": \"fast\"}", origin: "b.json")) {
            XCTAssertTrue("\($0)".contains("b.json") && "\($0)".contains("compute_ms"), "\($0)")
        }
        XCTAssertThrowsError(try TrainBenchRecord.decode("not json", origin: "b.json"))
    }

    func testExchangeTimingRecord() {
        let timing = ExchangeTiming(strategy: "bucketed", bytes: 400, exchange: SampleSummary([1e-6, 3e-6]), bare: SampleSummary([2e-6]),
                                    arrival: nil, paired: nil)
        let r = timing.record
        XCTAssertEqual(r.medianUs, 2, accuracy: 1e-12)
        XCTAssertEqual(r.ratio, 1, accuracy: 1e-12)
        XCTAssertNil(r.pairedRatio)
        XCTAssertNil(r.arrivalMedianUs)
        XCTAssertTrue(recordJSONTextOrEmpty(r).contains("\"arrival_median_us\":null"))
    }

    func testAllreduceBenchRecord() throws {
        let samples = [AllreduceSample(bytes: 4, seconds: 2e-6), AllreduceSample(bytes: 1 << 20, seconds: 1e-3)]
        let fit = try RingFit(samples: samples, ranks: 2)
        let r = allreduceRecord(samples: samples, fit: fit, ranks: 2, repeats: 20)
        let text = allreduceJSON(samples: samples, fit: fit, ranks: 2, repeats: 20)
        XCTAssertEqual(try AllreduceBenchRecord.decode(text, origin: "t"), r)
        XCTAssertEqual(r.samples[1].us, 1000, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(r.alphaUs), 1e6 * fit.model.alpha, accuracy: 1e-12)
        let noFit = allreduceJSON(samples: samples, fit: nil, ranks: 2, repeats: 20)
        XCTAssertFalse(noFit.contains("alpha_us"), noFit)
        XCTAssertNil(try AllreduceBenchRecord.decode(noFit, origin: "t").alphaUs)
        let old = "{\"world_size\": 2, \"repeats\": 20, \"samples\": [{\"bytes\": 4, \"us\": 2, \"algbw_gb_s\": 0.002}], "
            + "\"alpha_us\": 1.5, \"beta_s_per_byte\": 1e-09, \"bandwidth_gb_s\": 1, \"rms_relative_residual\": 0.05}"
        let back = try AllreduceBenchRecord.decode(old, origin: "old")
        XCTAssertEqual(back.samples, [.init(bytes: 4, us: 2, algbwGBs: 0.002)])
        XCTAssertEqual(back.betaSecondsPerByte, 1e-9)
    }

    func testCommFitOldFileLoadsAndNewOneRoundTrips() throws {
        let path = NSTemporaryDirectory() + "comm-fit-old-\(getpid())-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // CommFitFile.json() as the JSONObject writer produced it
        let old = "{\"kind\": \"ring_allreduce_fit\", \"world_size\": 2, \"alpha_us\": 2.000000001, \"beta_s_per_byte\": 5e-10, "
            + "\"bandwidth_gb_s\": 2, \"rms_relative_residual\": 0.01234567891, \"host\": \"mpi on box\", "
            + "\"date\": \"2025-01-01T00:00:00Z\", \"samples\": [{\"bytes\": 4, \"seconds\": 4.002e-06}, {\"bytes\": 1024, \"seconds\": 4.512e-06}]}\n"
        try old.write(toFile: path, atomically: true, encoding: .utf8)
        let (fit, host) = try CommFitFile.load(path)
        XCTAssertEqual(host, "mpi on box")
        XCTAssertEqual(fit.ranks, 2)
        XCTAssertEqual(fit.model.alpha, 2.000000001e-6, accuracy: 1e-18)
        XCTAssertEqual(fit.samples, [AllreduceSample(bytes: 4, seconds: 4.002e-06), AllreduceSample(bytes: 1024, seconds: 4.512e-06)])

        let record = CommFitFile.record(fit, host: host)
        try record.write(to: path)
        XCTAssertEqual(try CommFitRecord.load(path: path), record)
        var noResidual = record
        noResidual.rmsRelativeResidual = .nan
        try noResidual.write(to: path)
        XCTAssertTrue(try String(contentsOfFile: path, encoding: .utf8).contains("\"rms_relative_residual\":null"))
        XCTAssertTrue(try CommFitFile.load(path).fit.rmsRelativeResidual.isNaN)
        try "{\"world_size\": 2, \"beta_s_per_byte\": 1e-9}".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CommFitFile.load(path)) { XCTAssertTrue("\($0)".contains("alpha_us"), "\($0)") }
    }

    func testScalePointRoundTripAndLaunchScaleLine() throws {
        var bench = sampleBench()
        bench.worldSize = 4
        let ok = ScalePointRecord(mode: "weak", strategy: "flat", np: 4, batchPerRank: 64, oversubscribed: true, status: "ok", bench: bench)
        XCTAssertEqual(try ScalePointRecord.decode(ok.jsonText(), origin: "p:1"), ok)
        XCTAssertNil(ok.failure)
        let failed = ScalePointRecord(mode: "weak", strategy: "exact", np: 4, batchPerRank: 64, oversubscribed: true, status: "failed")
        XCTAssertEqual(try ScalePointRecord.decode(failed.jsonText(), origin: "p:2").failure, "failed")

        // launch/scale's echo around the compact bench line, read by ScalingSweep
        let folder = NSTemporaryDirectory() + "scale-rec-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let line = { (np: Int, b: TrainBenchRecord) in
            "{\"mode\": \"weak\", \"strategy\": \"flat\", \"np\": \(np), \"batch_per_rank\": 64, \"oversubscribed\": false, \"status\": \"ok\", \"bench\": \(b.jsonText())}"
        }
        var one = sampleBench(); one.worldSize = 1; one.imagesPerSec = 1000
        var two = sampleBench(); two.imagesPerSec = 1800
        try [line(1, one), line(2, two), ok.jsonText()].joined(separator: "\n").write(toFile: folder + "/points.jsonl", atomically: true, encoding: .utf8)
        let sweep = try ScalingSweep.load(folder: folder)
        XCTAssertEqual(sweep.points.map(\.ranks), [1, 2, 4])
        XCTAssertEqual(sweep.points[1].efficiency, 0.9, accuracy: 1e-12)
        XCTAssertEqual(sweep.points[2].sgemmGFLOPs, bench.sgemmGFLOPs)
        try "{\"mode\": \"weak\", \"np\": \"two\"}".write(toFile: folder + "/points.jsonl", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ScalingSweep.load(folder: folder)) { XCTAssertTrue("\($0)".contains("points.jsonl:1") && "\($0)".contains("np"), "\($0)") }
    }
}

private func recordJSONTextOrEmpty<T: Encodable>(_ value: T) -> String { (try? recordJSONText(value)) ?? "" }
