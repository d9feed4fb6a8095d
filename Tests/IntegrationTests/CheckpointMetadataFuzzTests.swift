// Semantic fuzzing of checkpoints (issue 21): the bytes stay a valid safetensors file and only a
// VALUE changes — a metadata key, or a key of the run config saved inside it — set to a negative,
// zero, huge, non-numeric or empty value, or removed. `--resume`, `eval` and `export` must each
// either work or stop with exit 2 and one line naming the file; never a trap (the byte-level
// fuzzers cannot find these: a negative step once crashed ShardPlan with SIGILL).

import Core
import Foundation
import NN
import Training
import XCTest

final class CheckpointMetadataFuzzTests: XCTestCase {
    /// A mid-epoch checkpoint of a short np=1 run (so every partial-epoch key is present).
    private func makeCheckpoint() throws -> (folder: String, checkpoint: String, data: String) {
        let folder = try makeTempFolder("meta-fuzz"), data = try SmallMNIST.folder()
        let run = folder + "/run"
        let r = try dtrain(["train", "--config", lenetConfig]
                           + sets(["train.epochs": 1, "train.max_steps": 30, "checkpoint.every_steps": 10, "data.path": data,
                                   "data.validation": SmallMNIST.validation, "train.batch_size": 32, "output": run]))
        assertSucceeded(r, "the run that makes the checkpoint")
        return (folder, run + "/checkpoint-step0000020.safetensors", data)
    }

    /// `source` rewritten with `edit` applied to its metadata (tensors unchanged).
    private func rewrite(_ source: String, to path: String, _ edit: (inout [String: String]) throws -> Void) throws {
        let file = try SafeTensorsFile.open(path: source)
        var metadata = file.metadata
        try edit(&metadata)
        var writer = SafeTensorsWriter(metadata: metadata)
        var kept: [[Float]] = []
        for name in file.names { kept.append(try file.floats(name)) }
        for (name, values) in zip(file.names, kept) {
            values.withUnsafeBufferPointer { writer.add(name: name, shape: (try? file.entry(name).shape) ?? [], data: $0) }
        }
        try writer.write(to: path)
    }

    /// Runs resume, eval and export on `path`; each must exit 0, 2 with one "error:" line naming
    /// the file, or 3 (diverged: the documented exit of a run whose saved lr is absurd).
    private func assertNoCrash(_ path: String, data: String, folder: String, _ what: String) throws {
        let commands: [(String, [String])] = [
            ("resume", ["train", "--resume", path] + sets(["output": folder + "/resumed", "train.max_steps": 40, "data.path": data])),
            ("eval", ["eval", "--checkpoint", path, "--data", data]),
            ("export", ["export", "--checkpoint", path, "--to", folder + "/export"]),
        ]
        for (name, args) in commands {
            let r = try dtrain(args, timeout: 60)
            XCTAssertFalse(r.timedOut, "\(what), \(name): timed out")
            XCTAssertTrue([0, 2, 3].contains(r.status), "\(what), \(name): exit \(r.status)\n\(r)")
            if r.status == 2 {
                let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
                XCTAssertEqual(lines.count, 1, "\(what), \(name): one error line\n\(r)")
                XCTAssertTrue(r.stderr.contains(path), "\(what), \(name): the message names the file\n\(r)")
            }
        }
    }

    static let hostileValues: [String?] = ["-5", "0", "99999999999999999999", "abc", "", nil]

    func testEveryMetadataKeyWithHostileValues() throws {
        let (folder, checkpoint, data) = try makeCheckpoint()
        let keys = ["step", "epoch", "world_size", "batch_size", "global_batch", "seed", "exact_shift", "allreduce",
                    "val_accuracy", "best_val_accuracy", "epoch_loss_sum", "epoch_correct", "epoch_seen", "epoch_seconds",
                    "rank_correct", "rank_seen", "config"]
        let bad = folder + "/bad.safetensors"
        for key in keys {
            // every value of the unit fuzzer would take too long end to end: three per key here
            for value in [Self.hostileValues[0], Self.hostileValues[2], Self.hostileValues[3], nil] {
                try rewrite(checkpoint, to: bad) { $0[key] = value }
                try assertNoCrash(bad, data: data, folder: folder, "\(key)=\(value.map { "\"\($0)\"" } ?? "missing")")
            }
        }
    }

    func testSavedConfigWithHostileValues() throws {
        let (folder, checkpoint, data) = try makeCheckpoint()
        let keys: [[String]] = [["train", "batch_size"], ["train", "epochs"], ["train", "accumulate"], ["train", "lr"],
                                ["train", "max_steps"], ["train", "micro_batch"], ["data", "validation"], ["seed"],
                                ["checkpoint", "keep"], ["model", "input"], ["train", "eval_batch"]]
        let bad = folder + "/bad-config.safetensors"
        for path in keys {
            for value in ["-5", "0", "99999999999999999999", "4611686018427387904", "abc"] {
                try rewrite(checkpoint, to: bad) { m in
                    var tree = try ConfigValue.parse(yaml: m["config"] ?? "", file: "saved config")
                    tree.set(path: path, to: .scalar(value))
                    m["config"] = tree.yaml()
                }
                try assertNoCrash(bad, data: data, folder: folder, "config \(path.joined(separator: "."))=\(value)")
            }
        }
    }
}
