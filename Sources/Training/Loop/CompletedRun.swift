// The two ways a run's record is shown at its end, on rank 0 (nothing with --quiet): the per-epoch
// table (Output/EpochTable.swift) of the whole run as metrics.jsonl holds it — earlier segments of
// a resumed run included — and, when --resume finds the run already at its last step, a line
// saying so instead of training nothing and reporting a NaN accuracy. Every rank takes the same
// branch (the step comes with the shared checkpoint metadata).

import Core
import Foundation

extension Trainer {
    /// Every epoch of this run so far: metrics.jsonl in the output folder (rank 0's record), or
    /// `fallback` when it cannot be read.
    func runHistory(fallback: [EpochMetrics]) -> [EpochMetrics] {
        guard isRoot, log.enabled, let rows = try? EpochMetrics.read(path: config.output + "/metrics.jsonl"), !rows.isEmpty else {
            return fallback
        }
        return rows
    }

    /// A resumed run whose checkpoint is at the run's last step: says so with the run's table and
    /// returns without training (the caller exits 0).
    func alreadyComplete(from checkpoint: String) throws -> TrainingOutcome {
        let epochs = config.train.epochs
        log.say("\(checkpoint): the run is already complete (step \(step) of \(totalSteps), epoch \(min(epochs, step / shards.stepsPerEpoch)) of \(epochs)); nothing to train (raise train.epochs, e.g. --set train.epochs=\(epochs + 1), to train further)")
        let history = runHistory(fallback: [])
        if !history.isEmpty { log.say("per epoch (\(config.output)/metrics.jsonl):\n" + EpochTable.text(history), terminator: "") }
        var outcome = TrainingOutcome()
        outcome.epochs = history
        outcome.steps = step
        outcome.checksum = try verifyReplicas()
        return outcome
    }
}
