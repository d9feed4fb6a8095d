// The optimisation keys in the real Trainer, in one process (ThreadCommunicator ranks), on
// InProcessTrainerTests' synthetic 8x8 set: an Adam run (with onecycle's momentum cycling and
// label smoothing) stopped mid-epoch and resumed from its checkpoint ends bit-identical to the
// uninterrupted run; Adam keeps every exchange strategy in agreement with flat; the checkpoint
// holds exp_avg / exp_avg_sq and the step count; resuming across optimiser families is an
// InputError naming train.optimizer; train.eval_every leaves unevaluated epochs' rows with null
// evaluation fields.

import Collective
import Core
import Foundation
import NN
import TestSupport
import Training
import XCTest

final class OptimizerTrainingTests: XCTestCase {
    private static let adam = ["train.optimizer=adam", "train.lr=0.01", "train.weight_decay=0.001"]
    private static let cycling = ["train.schedule={onecycle: {pct_start: 0.25, cycle_momentum: true}}", "train.label_smoothing=0.1"]

    private func config(_ overrides: [String]) throws -> RunConfig {
        try TinyRunConfig.make(for: self, train: "{epochs: 2, batch_size: 8, lr: 0.05, momentum: 0.9, max_steps: 30, bucket_mb: 0.0005}",
                               seed: 11, label: "optimizer", overrides: overrides)
    }

    /// Trains `config` from the seed at world size `ranks`; rank 0's final parameters.
    private func train(_ config: RunConfig, ranks: Int) throws -> [Float] {
        try ThreadWorld.run(size: ranks) { comm in
            let trainer = try Trainer(config: config, comm: comm, data: InProcessTrainerTests.data, quiet: true)
            trainer.initializeParameters()
            _ = try trainer.run()
            return Array(trainer.network.parameters)
        }[0]
    }

    /// Resumes from `folder`'s latest checkpoint with `overrides`; rank 0's final parameters.
    private func resume(_ folder: String, ranks: Int, _ overrides: [String]) throws -> [Float] {
        try ThreadWorld.run(size: ranks) { comm in
            let point = try ResumePoint.read(folder, comm: comm)
            let config = try RunConfig.fromCheckpoint(point, overrides: overrides)
            let trainer = try Trainer(config: config, comm: comm, data: InProcessTrainerTests.data, quiet: true)
            try trainer.resume(from: point)
            _ = try trainer.run()
            return Array(trainer.network.parameters)
        }[0]
    }

    /// np=2, 40 steps an epoch: stopped at step 13 (in onecycle's warm-up, which ends at step 19)
    /// and resumed to 50 (into epoch 2) against the uninterrupted 50 steps: byte-equal parameters.
    func testAdamResumeIsBitIdentical() throws {
        for optimizer in ["adam", "adamw"] {
            let base = Self.adam + Self.cycling + ["train.optimizer=\(optimizer)"]
            let whole = try train(try config(base + ["train.max_steps=50"]), ranks: 2)
            let stopped = try config(base + ["train.max_steps=13"])
            _ = try train(stopped, ranks: 2)
            let file = try SafeTensorsFile.open(path: stopped.output + "/latest.safetensors")
            XCTAssertEqual(file.metadata["optimizer"], optimizer)
            XCTAssertEqual(file.metadata["optimizer_step"], "13")
            XCTAssertTrue(file.names.contains("optimizer.fc1.weight.exp_avg"), "\(file.names)")
            XCTAssertTrue(file.names.contains("optimizer.conv1.bias.exp_avg_sq"), "\(file.names)")
            XCTAssertFalse(file.names.contains { $0.hasSuffix(".momentum") }, "Adam keeps no SGD momentum")
            XCTAssertGreaterThan(try file.floats("optimizer.fc1.weight.exp_avg_sq").max() ?? 0, 0)
            let resumed = try resume(stopped.output, ranks: 2, ["train.max_steps=50"])
            XCTAssertEqual(resumed, whole, "\(optimizer): resumed run vs uninterrupted")
            XCTAssertNotEqual(resumed, try train(try config(base + ["train.max_steps=50", "train.optimizer=sgd"]), ranks: 2),
                              "the optimiser changes the result")
        }
    }

    func testAdamStrategiesAgreeWithFlat() throws {
        let base = Self.adam + Self.cycling + ["train.max_steps=12"]
        let flat = try train(try config(base), ranks: 1)
        for strategy in ["flat", "bucketed", "coordinator", "exact"] {
            let got = try train(try config(base + ["train.allreduce=\(strategy)", "train.batch_size=4"]), ranks: 2)
            let worst = zip(got, flat).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            XCTAssertLessThan(worst, 2e-3, "\(strategy) at np=2 vs flat at np=1 under Adam")
        }
    }

    func testResumingAcrossOptimiserFamiliesIsBadInput() throws {
        let sgd = try config(["train.max_steps=5"])
        _ = try train(sgd, ranks: 1)
        let adam = try config(Self.adam + ["train.max_steps=5"])
        _ = try train(adam, ranks: 1)
        for (folder, optimizer, names) in [(sgd.output, "adam", ["holds sgd state", "train.optimizer is adam", "train.optimizer: sgd"]),
                                           (sgd.output, "adamw", ["holds sgd state", "train.optimizer is adamw"]),
                                           (adam.output, "sgd", ["holds adam state", "train.optimizer is sgd",
                                                                 "train.optimizer: adam or adamw", "sgd | adam | adamw"])] {
            assertInputError([folder] + names) { _ = try self.resume(folder, ranks: 2, ["train.optimizer=\(optimizer)"]) }
        }
        // Adam and AdamW keep the same state: switching the decay rule on resume is allowed
        let switched = try resume(adam.output, ranks: 1, ["train.optimizer=adamw", "train.max_steps=8"])
        XCTAssertTrue(!switched.isEmpty && switched.allSatisfy(\.isFinite))
    }

    /// eval_every 2 over 3 epochs: epochs 2 and 3 (the last) evaluated, epoch 1's row written with
    /// null evaluation fields; eval_every 0: only the last.
    func testEvalEveryWritesEveryRowAndEvaluatesOnSchedule() throws {
        for (every, evaluated) in [(2, [false, true, true]), (0, [false, false, true])] {
            let c = try config(["train.epochs=3", "train.max_steps=null", "train.batch_size=64", "train.eval_every=\(every)"])
            _ = try train(c, ranks: 2)
            let rows = try EpochMetrics.read(path: c.output + "/metrics.jsonl")
            XCTAssertEqual(rows.map(\.epoch), [1, 2, 3])
            let text = try String(contentsOfFile: c.output + "/metrics.jsonl", encoding: .utf8)
            let lines = text.split(separator: "\n")
            for (row, (line, wanted)) in zip(rows, zip(lines, evaluated)) {
                XCTAssertEqual(row.testAccuracy.isFinite, wanted, "eval_every \(every), epoch \(row.epoch)")
                XCTAssertTrue(row.trainLoss.isFinite, "eval_every \(every), epoch \(row.epoch): train loss")
                if !wanted {
                    for key in ["val_loss", "val_accuracy", "test_loss", "test_accuracy", "test_top5"] {
                        XCTAssertTrue(line.contains("\"\(key)\": null") || line.contains("\"\(key)\":null"), "\(key) not null in \(line)")
                    }
                }
            }
        }
    }
}
