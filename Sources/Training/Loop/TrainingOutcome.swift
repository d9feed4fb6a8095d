// What a training run ends with: its outcome, or one of the two ways it can stop early.

import Core
import NN

/// Training stopped because the loss became NaN/Inf (exit code 3).
public struct TrainingDiverged: Error, CustomStringConvertible {
    public let step: Int, epoch: Int, loss: Double
    public var description: String {
        "training diverged at step \(step) (epoch \(epoch)): loss is \(loss); lower train.lr or check the data"
    }
}

/// The replicas' parameters differ after training (a bug or a faulty node; exit code 1).
public struct ReplicasDiverged: Error, CustomStringConvertible {
    public let checksums: [String]
    public var description: String { "replicas differ after training: parameter checksums per rank \(checksums)" }
}

public struct TrainingOutcome {
    public var epochs: [EpochMetrics] = []
    public var steps = 0
    public var wallSeconds = 0.0
    public var checksum = ""
}

/// Running sums of the current epoch (global, after each exchange); saved in checkpoints so a
/// mid-epoch resume reports the same epoch metrics as an uninterrupted run. This rank's own-shard
/// counts live in BatchPasses.
struct EpochSums {
    var lossSum = 0.0, correct = 0.0, seen = 0.0
    var times = PhaseTimes()
    var seconds = 0.0                                // training-loop time before the current segment

    mutating func add(_ s: StepStatistics, _ c: StepClock, updateIsBroadcast: Bool) {
        lossSum += Double(s.lossSum); correct += Double(s.correct); seen += Double(s.samples)
        times.data += c.dataLoaded - c.start
        times.compute += c.backwardDone - c.dataLoaded
        times.wait += c.exchangeEntered - c.backwardDone
        // coordinator: t4..t5 is the parameter broadcast (rank 0 updated inside t3..t4)
        times.comm += c.exchanged - c.exchangeEntered + (updateIsBroadcast ? c.updated - c.exchanged : 0)
        times.optimizer += updateIsBroadcast ? 0 : c.updated - c.exchanged
    }
}
