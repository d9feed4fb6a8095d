// What rank 0 prints: a run header, one line per epoch that a person can scan, a line with every
// rank's accuracy on its own shard, closing lines and the per-epoch table. Other ranks print nothing but errors.

import Core
import Foundation
import NN
import Collective

public final class RunLog {
    public let enabled: Bool
    public init(enabled: Bool) { self.enabled = enabled }

    public func say(_ line: String, terminator: String = "\n") {
        guard enabled else { return }
        print(line, terminator: terminator)
        fflush(stdout)
    }

    /// A warning goes to stderr even when the log is quiet; rank 0 only.
    public func warn(_ line: String) {
        FileHandle.standardError.write(Data("warning: \(line)\n".utf8))
    }

    public func header(config: RunConfig, comm: Communicator, network: Network, lr: Double, stepsPerEpoch: Int,
                       trainCount: Int, validationCount: Int, testCount: Int) {
        let t = config.train
        say("dtrain \(dtrainVersion): \(config.model.name) (\(grouped(network.parameterCount)) params) on \(config.data.dataset) \(config.data.path)")
        let batches = comm.size * t.accumulate                 // batches of batch_size per update
        say("world size \(comm.size) (\(comm.kind)), batch \(t.batchSize) per rank"
            + (t.accumulate > 1 ? " x accumulate \(t.accumulate)" : "") + ", global batch \(batches * t.batchSize), "
            + "lr \(formatLR(lr))\(t.scaleLR ? " (scaled x\(batches) from \(formatLR(t.lr)))" : ""), "
            + "allreduce \(t.allreduce.rawValue)\(t.allreduce == .exact ? " (micro-batch \(t.exactMicroBatch))" : t.allreduce == .bucketed ? " (\(t.bucketMB) MB buckets)" : "")"
            + (t.compress.map { ", gradients as \($0.rawValue)\(t.compressFeedback ? " with error feedback" : "")" } ?? "") + ", "
            + "\(optimizerLine(t)), weight decay \(t.weightDecay), schedule \(t.schedule.description)"
            + (t.warmupEpochs > 0 ? " after \(t.warmupEpochs) warm-up epochs" : ""))
        say("data: \(trainCount) train, \(validationCount) validation, \(testCount) test; \(stepsPerEpoch) steps/epoch; "
            + "BLAS threads \(blasThreads()); seed \(config.seed); output \(config.output)")
        if let a = config.data.augment { say("augment (training batches): \(a)") }
    }

    public func epoch(_ m: EpochMetrics, epochs: Int, classes: Int) {
        guard enabled else { return }
        var line = String(format: "epoch %d/%d  train loss %.4f  ", m.epoch, epochs, m.trainLoss)
        if let valLoss = m.valLoss, let valAccuracy = m.valAccuracy {
            line += String(format: "val loss %.4f acc %.2f%%  ", valLoss, valAccuracy)
        }
        if m.testAccuracy.isNaN {
            line += "not evaluated (train.eval_every)"
        } else {
            line += String(format: "test acc %.2f%%", m.testAccuracy)
            if classes > 5 { line += String(format: " top-5 %.2f%%", m.testTop5) }
        }
        line += String(format: "  %.0f img/s  allreduce %.1f%%  %.1fs", m.imagesPerSec,
                        m.epochSeconds > 0 ? 100 * m.commSeconds / m.epochSeconds : 0, m.epochSeconds)
        say(line)
        if m.rankTrainAccuracy.count > 1 {
            let parts = m.rankTrainAccuracy.enumerated().map { i, a in String(format: "r%d %.2f", i, a) }
            say("  own-shard train accuracy: " + parts.joined(separator: "  "))
        }
    }

    /// The closing lines, then the per-epoch table of `history` (the whole run's epochs, earlier
    /// segments of a resumed run included; Output/EpochTable.swift).
    public func finish(outcome: TrainingOutcome, worldSize: Int, history: [EpochMetrics]) {
        let acc = outcome.epochs.last?.testAccuracy ?? .nan
        say(String(format: "done: %d steps in %.1fs, final test accuracy %.2f%%", outcome.steps, outcome.wallSeconds, acc))
        say("replicas identical on \(worldSize) rank\(worldSize == 1 ? "" : "s") (parameter checksum \(outcome.checksum))")
        if !history.isEmpty { say("\nper epoch:\n" + EpochTable.text(history), terminator: "") }
    }

    private func formatLR(_ v: Double) -> String { String(format: "%g", v) }

    /// "momentum 0.9 nesterov" (SGD, as before) or "adamw betas (0.9, 0.999) eps 1e-08", then
    /// ", label smoothing 0.1" when smoothing.
    private func optimizerLine(_ t: RunConfig.TrainConfig) -> String {
        let rule = t.optimizer == .sgd ? "momentum \(t.momentum)\(t.nesterov ? " nesterov" : "")"
            : "\(t.optimizer.rawValue) betas (\(t.beta1), \(t.beta2)) eps \(String(format: "%g", t.eps))"
        return rule + (t.labelSmoothing > 0 ? ", label smoothing \(t.labelSmoothing)" : "")
    }
}

public let dtrainVersion = "0.1.0"
