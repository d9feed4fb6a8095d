// The end of an epoch, on every rank: evaluation (validation and test), every rank's own-shard
// accuracy gathered, the last epoch's artifacts (confusion matrix, filters, feature maps), the
// epoch's checkpoints (handed to the background writer), then the epoch line and metrics.jsonl.
// Rank 0's row splits the epoch's wall time (wall_seconds, from the previous row to this one) into
// named parts (Core/Records/WallTimeParts.swift): the step phases (compute, comm, wait, data),
// eval_seconds, checkpoint_seconds (what saving held the loop, every_steps saves included) and
// diagnostics_seconds (the per-layer measurements, and after the last epoch the confusion, filter
// and feature-map files; 0 when there were none); process_seconds is the process's age when the
// row was made (everything before the loop is start-up).
// train.eval_every = n evaluates after epochs n, 2n, ... and always after the last one (0: only
// the last). An epoch without evaluation still writes its metrics.jsonl row, with the keys
// val_loss, val_accuracy, test_loss, test_accuracy and test_top5 present and null (readers get
// nil / NaN) and eval_seconds near 0; its checkpoints are written but cannot become best.safetensors.

import Core
import Foundation
import NN

extension Trainer {
    func endOfEpoch(epoch: Int) throws -> EpochMetrics {
        let evalStart = monotonicSeconds()
        if network.batchNorms.contains(where: { $0.reducer == nil }) { shareState() }   // unsynced BatchNorm: rank 0's statistics
        let last = step >= totalSteps
        let every = config.train.evalEvery
        let evaluated = last || (every > 0 && epoch % every == 0)
        let validation = evaluated ? try validationEval?.run() : nil
        let test = evaluated ? try testEval.run(confusion: last) : nil
        let evalSeconds = monotonicSeconds() - evalStart
        let local = passes.ownSeen > 0 ? 100 * Double(passes.ownCorrect) / Double(passes.ownSeen) : 0
        let rankAccuracy = comm.allgather([local]).map { $0.first ?? 0 }
        let trainSeconds = sums.seconds, times = sums.times
        let diagnosticsStart = monotonicSeconds()
        let diagnosed = try diagnostics?.measure()
        var diagnosticsSeconds = diagnosed == nil ? 0 : monotonicSeconds() - diagnosticsStart
        let m = EpochMetrics(
            epoch: epoch, step: step, worldSize: comm.size, lr: schedule.at(step: max(step - 1, 0)),
            trainLoss: sums.lossSum / max(sums.seen, 1), trainAccuracy: 100 * sums.correct / max(sums.seen, 1),
            valLoss: validation?.loss, valAccuracy: validation?.accuracy,
            testLoss: test?.loss ?? .nan, testAccuracy: test?.accuracy ?? .nan, testTop5: test?.top5 ?? .nan,
            epochSeconds: trainSeconds, imagesPerSec: trainSeconds > 0 ? sums.seen / trainSeconds : 0,
            computeSeconds: times.compute + times.optimizer, commSeconds: times.comm, dataSeconds: times.data,
            evalSeconds: evalSeconds, waitSeconds: times.wait, rankTrainAccuracy: rankAccuracy,
            diagnostics: diagnosed?.layers ?? [], diagnosticsBatch: diagnosed?.batch)
        if last, isRoot, let test {
            let artifactsStart = monotonicSeconds()
            defer { diagnosticsSeconds += monotonicSeconds() - artifactsStart }
            try Artifacts.writeConfusion(test, folder: config.output)
            try Artifacts.writeFilters(network, folder: config.output)
            try Artifacts.writeFeatures(network, digit: data.test.subset(0..<min(1, data.test.count)),
                                        normalization: config.data.normalize, folder: config.output)
        }
        try saveCheckpoints(epoch: epoch, validation: validation?.accuracy ?? test?.accuracy)
        var row = m
        if isRoot {
            row.checkpointSeconds = checkpointSeconds
            row.diagnosticsSeconds = diagnosticsSeconds
            row.processSeconds = processAgeSeconds()
        }
        let now = monotonicSeconds()
        row.wallSeconds = now - epochWallStart
        epochWallStart = now
        checkpointSeconds = 0
        log.epoch(row, epochs: config.train.epochs, classes: network.outputShape.count)
        files?.recordEpoch(row)
        return row
    }
}
