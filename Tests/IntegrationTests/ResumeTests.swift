// Resume end to end (issue 4): stopping mid-epoch and resuming at the same world size continues
// bit-identically; resuming at another world size keeps the global batch and lands within float
// rounding of the uninterrupted run; a corrupt or mismatched checkpoint is bad input (exit 2
// naming the file). All runs use the small MNIST at a global batch of 32 (80 steps per epoch), so
// the resumed stretch is where LeNet-5 leaves its initial plateau and trajectories are sensitive.

import Core
import Foundation
import XCTest
import Training

final class ResumeTests: XCTestCase {
    static let fullSteps = 120     // run A: mid-way through epoch 2
    static let stopStep = 50       // run B: stopped mid-way through epoch 1

    /// Made once per process, shared by the tests of this class: the uninterrupted np=2 run A, the
    /// np=2 run B stopped at `stopStep`, and a pristine copy of B's checkpoint.
    struct Stage {
        var folder: String, runA: String, runB: String, checkpointB: String
    }
    nonisolated(unsafe) private static var staged: Stage?

    override class func tearDown() {
        if let staged, ProcessInfo.processInfo.environment["DTRAIN_KEEP_TEST_OUTPUT"] == nil {
            try? FileManager.default.removeItem(atPath: staged.folder)
        }
        staged = nil
        super.tearDown()
    }

    private static func baseArguments(data: String) -> [String] {
        ["train", "--config", lenetConfig]
            + sets(["train.epochs": 2, "data.path": data, "data.validation": SmallMNIST.validation, "train.batch_size": 16])
    }

    private func stage() throws -> Stage {
        if let staged = Self.staged { return staged }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-it-resume-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let data = try SmallMNIST.folder()
        let s = Stage(folder: folder, runA: folder + "/A", runB: folder + "/B", checkpointB: folder + "/B-step\(Self.stopStep).safetensors")
        Self.staged = s     // removed by tearDown even if a run below fails
        let a = try dtrain(Self.baseArguments(data: data) + sets(["train.max_steps": Self.fullSteps, "output": s.runA]), ranks: 2)
        assertSucceeded(a, "uninterrupted run A (np=2, \(Self.fullSteps) steps)")
        let b = try dtrain(Self.baseArguments(data: data) + sets(["train.max_steps": Self.stopStep, "output": s.runB]), ranks: 2)
        assertSucceeded(b, "run B (np=2, stopped at step \(Self.stopStep))")
        guard a.status == 0, b.status == 0 else { throw SupportError("staging runs failed") }
        try FileManager.default.copyItem(atPath: s.runB + "/latest.safetensors", toPath: s.checkpointB)
        return s
    }

    /// A (np=2, 120 steps) against B (np=2, 50 steps) resumed with --resume <B's folder> to 120
    /// steps: the final tensors are byte-equal and metrics.jsonl / steps.csv read as A's.
    func testResumeMidEpochIsBitIdentical() throws {
        let s = try stage()
        let meta = try SafeTensorsFile.open(path: s.checkpointB).metadata
        XCTAssertEqual(meta["step"], String(Self.stopStep), "B's checkpoint is not at step \(Self.stopStep)")

        let r = try dtrain(["train", "--resume", s.runB, "--set", "train.max_steps=\(Self.fullSteps)"], ranks: 2)
        assertSucceeded(r, "resume of B at np=2")
        XCTAssertTrue(r.stdout.contains("resumed from"), "no 'resumed from' line:\n\(r.stdout)")
        XCTAssertTrue(r.stdout.contains("done: \(Self.fullSteps) steps"), r.stdout)

        let c = try compareTensors(s.runA + "/latest.safetensors", s.runB + "/latest.safetensors")
        XCTAssertTrue(c.bitEqual, "resumed run differs from the uninterrupted one: max |difference| \(c.maxDifference) in \(c.worst)")

        let a = try readMetrics(s.runA), b = try readMetrics(s.runB)
        XCTAssertEqual(a.count, 2, "A: two epoch records (the second partial)")
        XCTAssertEqual(b.count, a.count, "resumed metrics.jsonl should hold A's epochs, no stale partial record:\n\(b)")
        for (ea, eb) in zip(a, b) {
            for key in ["epoch", "step", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy"] {
                XCTAssertNotNil(number(ea, key), "A's metrics lack \(key)")
                XCTAssertEqual(number(ea, key), number(eb, key), "epoch \(ea["epoch"] ?? "?"): \(key) differs after resume")
            }
        }
        let stepsA = try readSteps(s.runA), stepsB = try readSteps(s.runB)
        XCTAssertEqual(stepsA.rows.count, Self.fullSteps)
        XCTAssertEqual(stepsA.rows, stepsB.rows, "steps.csv differs after resume")
    }

    /// With BatchNorm (configs/mnist-resnet.yaml): 40 steps at np=2 against 20 steps resumed to 40.
    /// The running statistics and num_batches_tracked are saved, restored on every rank and
    /// continued, so every tensor of the final checkpoint is byte-equal.
    func testResumeWithBatchNormIsBitIdentical() throws {
        let data = try SmallMNIST.folder()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-it-bn-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let base = ["train", "--config", packageRoot + "/configs/mnist-resnet.yaml"]
            + sets(["train.epochs": 1, "data.path": data, "data.validation": SmallMNIST.validation, "train.batch_size": 8])
        assertSucceeded(try dtrain(base + sets(["train.max_steps": 40, "output": folder + "/A"]), ranks: 2), "BatchNorm run A")
        assertSucceeded(try dtrain(base + sets(["train.max_steps": 20, "output": folder + "/B"]), ranks: 2), "BatchNorm run B")
        let r = try dtrain(base + sets(["train.max_steps": 40, "output": folder + "/B"]) + ["--resume", folder + "/B"], ranks: 2)
        assertSucceeded(r, "resume of B")
        let c = try compareTensors(folder + "/A/latest.safetensors", folder + "/B/latest.safetensors")
        XCTAssertTrue(c.bitEqual, "resumed BatchNorm run differs: max |difference| \(c.maxDifference) in \(c.worst)")
        let tracked = try SafeTensorsFile.open(path: folder + "/B/latest.safetensors").int64s("layer2.bn1.num_batches_tracked")
        XCTAssertEqual(tracked, [40], "num_batches_tracked continues across the resume")
    }

    /// B's step-50 checkpoint (np=2, batch 16) resumed at np=4: batch 8 keeps the global batch,
    /// the run finishes, and its parameters are within 1e-4 of A's.
    func testResumeAtDifferentWorldSize() throws {
        let s = try stage()
        let out = try makeTempFolder("resume4")
        let r = try dtrain(["train", "--resume", s.checkpointB, "--set", "train.max_steps=\(Self.fullSteps)",
                            "--set", "output=\(out)"], ranks: 4)
        assertSucceeded(r, "resume of an np=2 checkpoint at np=4")
        XCTAssertTrue(r.stdout.contains("resuming a world-size-2 checkpoint at world size 4"), "no world-size line:\n\(r.stdout)")
        XCTAssertTrue(r.stdout.contains("batch 8 per rank, global batch 32"), r.stdout)
        XCTAssertTrue(r.stdout.contains("done: \(Self.fullSteps) steps"), r.stdout)
        XCTAssertTrue(r.stdout.contains("replicas identical on 4 ranks"), r.stdout)

        let c = try compareTensors(s.runA + "/latest.safetensors", out + "/latest.safetensors")
        XCTAssertLessThanOrEqual(c.maxDifference, 1e-4, "np=4 resume vs uninterrupted np=2: max |difference| \(c.maxDifference) in \(c.worst)")
        let metrics = try readMetrics(out)
        XCTAssertEqual(metrics.count, 2)
        XCTAssertEqual(metrics.last.flatMap { number($0, "world_size") }, 4)
    }

    /// Corrupt or foreign checkpoints given to --resume: exit 2 naming the file, plain and under
    /// mpirun -np 2 (where rank 0 must abort the ranks waiting for the checkpoint's metadata).
    func testCorruptCheckpointsAreBadInput() throws {
        let s = try stage()
        let tmp = try makeTempFolder("corrupt")
        let data = try SmallMNIST.folder()
        let good = try XCTUnwrap(FileManager.default.contents(atPath: s.checkpointB))
        let headerLength = Int(good.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })

        // 1. the header length runs past the end of the file
        let pastEnd = tmp + "/header-past-end.safetensors"
        var bytes = good
        withUnsafeBytes(of: UInt64(good.count + 1000).littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        try bytes.write(to: URL(fileURLWithPath: pastEnd))

        // 2. the header is not JSON
        let badJSON = tmp + "/bad-json.safetensors"
        bytes = good
        bytes.replaceSubrange(8..<16, with: Array("#garbage".utf8))
        try bytes.write(to: URL(fileURLWithPath: badJSON))
        XCTAssertGreaterThan(headerLength, 8)

        // 3. a well-formed file with B's metadata that lacks one parameter
        let missing = tmp + "/missing-tensor.safetensors"
        let source = try SafeTensorsFile.open(path: s.checkpointB)
        XCTAssertTrue(source.names.contains("conv2.weight"))
        var writer = SafeTensorsWriter(metadata: source.metadata)
        for name in source.names where name != "conv2.weight" {
            try source.floats(name).withUnsafeBufferPointer { writer.add(name: name, shape: source.entries[name]!.shape, data: $0) }
        }
        try writer.write(to: missing)
        XCTAssertNoThrow(try SafeTensorsFile.open(path: missing), "the missing-tensor file itself should be valid safetensors")

        for (what, path, extra) in [("header length past the end", pastEnd, "header length"),
                                    ("bad header JSON", badJSON, "JSON"),
                                    ("missing tensor", missing, "conv2.weight")] {
            for ranks in [nil, 2] as [Int?] {
                let r = try dtrain(["train", "--resume", path, "--set", "output=\(tmp)/out"], ranks: ranks, timeout: 60)
                expectExit2(r, what, ranks: ranks, naming: [path, extra])
            }
        }

        // 4. shapes: a lab5 checkpoint resumed with the lenet5 run config
        let lab5 = tmp + "/lab5"
        let r = try dtrain(["train", "--config", lenetConfig]
                           + sets(["model": "models/lab5.yaml", "train.max_steps": 3, "train.epochs": 1, "data.path": data,
                                   "data.validation": SmallMNIST.validation, "output": lab5]))
        assertSucceeded(r, "lab5 run")
        let lab5Checkpoint = lab5 + "/latest.safetensors"
        for ranks in [nil, 2] as [Int?] {
            let r = try dtrain(["train", "--resume", lab5Checkpoint, "--config", lenetConfig,
                                "--set", "data.path=\(data)", "--set", "data.validation=\(SmallMNIST.validation)",
                                "--set", "output=\(tmp)/out"], ranks: ranks, timeout: 60)
            expectExit2(r, "lab5 checkpoint with the lenet5 config", ranks: ranks, naming: [lab5Checkpoint, "conv1.weight"])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp + "/out/steps.csv"), "a refused resume wrote run files")
    }

    private func expectExit2(_ r: RunResult, _ what: String, ranks: Int?, naming names: [String],
                             file: StaticString = #filePath, line: UInt = #line) {
        let how = ranks == nil ? "plain" : "mpirun -np \(ranks!)"
        XCTAssertFalse(r.timedOut, "\(what) (\(how)): hung\n\(r)", file: file, line: line)
        XCTAssertEqual(r.status, 2, "\(what) (\(how)): expected exit 2\n\(r)", file: file, line: line)
        for name in names {
            XCTAssertTrue(r.stderr.contains(name), "\(what) (\(how)): stderr does not name '\(name)'\n\(r)", file: file, line: line)
        }
        if ranks == nil {
            XCTAssertEqual(r.stderrLines.count, 1, "\(what): expected ONE stderr line\n\(r)", file: file, line: line)
        }
    }
}
