// The end of an epoch, on every rank: evaluation (validation and test), every rank's own-shard
// accuracy gathered, the epoch line, metrics.jsonl, the last epoch's artifacts (confusion matrix,
// filters, feature maps) and the epoch's checkpoints.

import Core
import Foundation
import NN

extension Trainer {
    func endOfEpoch(epoch: Int) throws -> JSONObject {
        let evalStart = monotonicSeconds()
        let last = step >= totalSteps
        let validation = validationEval?.run()
        let test = testEval.run(confusion: last)
        let evalSeconds = monotonicSeconds() - evalStart
        let local = passes.ownSeen > 0 ? 100 * Double(passes.ownCorrect) / Double(passes.ownSeen) : 0
        let rankAccuracy = comm.allgather([local]).map { $0.first ?? 0 }
        let trainSeconds = sums.seconds, times = sums.times
        var m = JSONObject()
        m.set("epoch", .int(epoch))
        m.set("step", .int(step))
        m.set("world_size", .int(comm.size))
        m.set("lr", .double(schedule.at(step: max(step - 1, 0))))
        m.set("train_loss", .double(sums.lossSum / max(sums.seen, 1)))
        m.set("train_accuracy", .double(100 * sums.correct / max(sums.seen, 1)))
        m.set("val_loss", validation.map { .double($0.loss) } ?? .null)
        m.set("val_accuracy", validation.map { .double($0.accuracy) } ?? .null)
        m.set("test_loss", .double(test.loss))
        m.set("test_accuracy", .double(test.accuracy))
        m.set("test_top5", .double(test.top5))
        m.set("epoch_seconds", .double(trainSeconds))
        m.set("eval_seconds", .double(evalSeconds))
        m.set("images_per_sec", .double(trainSeconds > 0 ? sums.seen / trainSeconds : 0))
        m.set("compute_seconds", .double(times.compute + times.optimizer))
        m.set("comm_seconds", .double(times.comm))
        m.set("data_seconds", .double(times.data))
        m.set("wait_seconds", .double(times.wait))
        m.set("rank_train_accuracy", .array(rankAccuracy.map { .double($0) }))
        if let diagnostics { m.set("diagnostics", diagnostics.measure()) }
        if last, isRoot {
            try Artifacts.writeConfusion(test, folder: config.output)
            try Artifacts.writeFilters(network, folder: config.output)
            try Artifacts.writeFeatures(network, digit: data.test.subset(0..<min(1, data.test.count)),
                                        normalization: config.data.normalize, folder: config.output)
        }
        log.epoch(m, epochs: config.train.epochs, classes: network.outputShape.count)
        files?.recordEpoch(m)
        try saveCheckpoints(epoch: epoch, validation: validation?.accuracy ?? test.accuracy)
        return m
    }
}
