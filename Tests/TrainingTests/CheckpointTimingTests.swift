// Checkpoints written in the background and the timing fields of metrics.jsonl, in the real
// Trainer at np=2 (ThreadCommunicator ranks) on InProcessTrainerTests' synthetic 8x8 set: when
// `run` returns, every checkpoint it asked for is on disk, complete and loadable, pruned to
// checkpoint.keep, and `latest` holds the final step; rank 0's rows carry checkpoint_seconds and a
// process_seconds that grows from epoch to epoch; linkAtomically gives a written file more names
// and a later replacement of one name leaves the others; a metrics row round-trips the new fields; and
// processAge reads /proc/<pid>/stat lines, a command name with spaces and ')' included.

import Collective
import Core
import Foundation
import NN
import Training
import XCTest

final class CheckpointTimingTests: XCTestCase {
    private func config(output: String) throws -> RunConfig {
        let yaml = """
        model:
          name: tiny
          input: [1, 8, 8]
          layers:
            - conv: {out: 4, kernel: 3, pad: 1}
            - relu
            - maxpool: {kernel: 2}
            - flatten
            - linear: {out: 10}
        data: {validation: 0}
        train: {epochs: 3, batch_size: 16, lr: 0.05, optimizer: adam, eval_every: 0}
        checkpoint: {every_steps: 7, keep: 2}
        diagnostics: false
        seed: 5
        output: \(output)
        """
        return try RunConfig.parse(try ConfigValue.parse(yaml: yaml, file: "checkpoint timing test"), file: "checkpoint timing test")
    }

    func testBackgroundCheckpointsAreCompleteWhenRunReturns() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-ckpt-bg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: output) }
        let c = try config(output: output)
        let results = try ThreadWorld.run(size: 2) { comm -> (steps: Int, params: [Float]) in
            let trainer = try Trainer(config: c, comm: comm, data: InProcessTrainerTests.data, quiet: true)
            trainer.initializeParameters()
            let outcome = try trainer.run()
            return (outcome.steps, Array(trainer.network.parameters))
        }
        let steps = results[0].steps
        XCTAssertGreaterThan(steps, 14)

        let latest = try SafeTensorsFile.open(path: output + "/latest.safetensors")
        XCTAssertEqual(latest.metadata["step"], String(steps), "latest must hold the final step")
        var found: [Float] = []
        for name in latest.names.sorted() where !name.hasPrefix("optimizer.") {
            found += try latest.floats(name)
        }
        XCTAssertEqual(found.sorted(), results[0].params.sorted(), "latest must hold the final parameters")
        for name in ["optimizer.fc1.weight.exp_avg", "optimizer.fc1.weight.exp_avg_sq"] {
            XCTAssertTrue(latest.names.contains(name), "\(name) missing from latest")
        }

        let files = try FileManager.default.contentsOfDirectory(atPath: output)
        let numbered = files.filter { $0.hasPrefix("checkpoint-") }
        XCTAssertEqual(numbered.count, 2, "checkpoint.keep 2: \(files.sorted())")
        XCTAssertFalse(files.contains { $0.contains(".tmp-") }, "a temp file was left: \(files.sorted())")
        for name in numbered { XCTAssertNoThrow(try SafeTensorsFile.open(path: output + "/" + name)) }
        // the last save wrote checkpoint-epoch003 once; latest and best are further names of it
        func inode(_ name: String) throws -> Int? {
            (try FileManager.default.attributesOfItem(atPath: output + "/" + name)[.systemFileNumber] as? NSNumber)?.intValue
        }
        let last = try XCTUnwrap(try inode("checkpoint-epoch003.safetensors"))
        XCTAssertEqual(try inode("latest.safetensors"), last)
        XCTAssertEqual(try inode("best.safetensors"), last)

        let rows = try EpochMetrics.read(path: output + "/metrics.jsonl")
        XCTAssertEqual(rows.map(\.epoch), [1, 2, 3])
        for row in rows {
            let saved = try XCTUnwrap(row.checkpointSeconds, "epoch \(row.epoch): no checkpoint_seconds")
            XCTAssertGreaterThanOrEqual(saved, 0)
            XCTAssertNotNil(row.processSeconds, "epoch \(row.epoch): no process_seconds")
        }
        let ages = rows.compactMap(\.processSeconds)
        XCTAssertEqual(ages, ages.sorted(), "process_seconds must not go down: \(ages)")
    }

    func testLinkAtomicallyGivesTheFileMoreNamesAndReplacesOldOnes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-link-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        try writeAtomically(Array("old".utf8), to: folder + "/a")
        XCTAssertTrue(try linkAtomically(folder + "/a", to: [folder + "/latest", folder + "/best"]))
        try writeAtomically(Array("new".utf8), to: folder + "/b")
        XCTAssertTrue(try linkAtomically(folder + "/b", to: [folder + "/latest"]))     // replaces latest only
        func text(_ name: String) throws -> String { try String(contentsOfFile: folder + "/" + name, encoding: .utf8) }
        XCTAssertEqual(try text("a"), "old")
        XCTAssertEqual(try text("best"), "old")
        XCTAssertEqual(try text("latest"), "new")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["a", "b", "best", "latest"])
        XCTAssertThrowsError(try linkAtomically(folder + "/missing", to: [folder + "/c"]))
    }

    func testTimingFieldsRoundTripThroughMetricsJSONL() throws {
        let row = EpochMetrics(epoch: 1, step: 10, worldSize: 2, lr: 0.01, trainLoss: 0.5, trainAccuracy: 90,
                               valLoss: nil, valAccuracy: nil, testLoss: 0.1, testAccuracy: 99, testTop5: 100,
                               epochSeconds: 1.5, imagesPerSec: 40000, computeSeconds: 1.2, commSeconds: 0.1, dataSeconds: 0.05,
                               evalSeconds: 0.02, waitSeconds: 0.03, checkpointSeconds: 0.004, processSeconds: 2.75,
                               rankTrainAccuracy: [90, 91])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(row.jsonLine.utf8)) as? [String: Any])
        let back = try EpochMetrics(object, at: "row")
        XCTAssertEqual(back.checkpointSeconds, 0.004)
        XCTAssertEqual(back.processSeconds, 2.75)
        XCTAssertNil(back.extra["checkpoint_seconds"])

        var old = object
        old["checkpoint_seconds"] = nil; old["process_seconds"] = nil
        let older = try EpochMetrics(old, at: "older row")
        XCTAssertNil(older.checkpointSeconds)
        XCTAssertNil(older.processSeconds)
        XCTAssertFalse(older.jsonLine.contains("checkpoint_seconds"))
    }

    func testProcessAgeFromAStatLine() {
        // field 22 (starttime) = 1234 ticks; the command name holds a space and a ')'
        let fields = ["S", "1", "2", "3", "0", "-1", "4194560", "100", "0", "0", "0", "5", "6", "0", "0", "20", "0", "1", "0", "1234", "9999"]
        let stat = "4242 (a b) c) " + fields.joined(separator: " ")
        let age = processAge(stat: stat, uptime: 100, ticksPerSecond: 100)
        XCTAssertEqual(age ?? -1, 100 - 12.34, accuracy: 1e-9)
        XCTAssertNil(processAge(stat: "4242 (x) S 1 2", uptime: 100, ticksPerSecond: 100), "too few fields")
        XCTAssertNil(processAge(stat: "no parenthesis", uptime: 100, ticksPerSecond: 100))
        XCTAssertEqual(processAge(stat: stat, uptime: 1, ticksPerSecond: 100), 0, "never negative")
        #if os(Linux)
        let now = processAgeSeconds()
        XCTAssertNotNil(now)
        XCTAssertGreaterThanOrEqual(now ?? -1, 0)
        #endif
    }
}
