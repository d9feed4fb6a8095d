// The memory pre-flight (before the trainer allocates anything): what one rank is about to
// allocate — the model's share at the reserved batch (NN/MemoryEstimate.swift), the batch loaders,
// the permutation — against what the rank can have (Core/SystemMemory.swift: cgroup limit,
// RLIMIT_AS, MemAvailable shared among the node's ranks). A model that does not fit is bad input
// (exit 2) with the numbers, instead of a failed allocation or the OOM killer mid-job.

import Core
import Foundation
import NN

extension MemoryEstimate {
    /// Everything a training rank of `config` allocates beyond what the process holds now (the data
    /// set is loaded before the trainer is built, so it is in `runtime`).
    static func training(_ plan: NetworkPlan, config: RunConfig, data: TrainingData) -> MemoryEstimate {
        let t = config.train
        let reserved = max(t.batchSize, min(t.evalBatch, Evaluator.chunkLimit))
        var e = MemoryEstimate.model(plan, batch: reserved, exactStrategy: t.allreduce == .exact, optimizer: t.optimizer)
        let sample = 4 * plan.input.count + 8                            // floats, label, sample ID
        let chunk = max(1, min(t.evalBatch, Evaluator.chunkLimit))
        let evaluators = (data.validation == nil ? 1 : 2) + (config.diagnostics ? 1 : 0)
        e.add("batches", bytes: t.batchSize * t.accumulate * sample + evaluators * chunk * (sample + 8))
        e.add("permutation", bytes: 4 * data.train.count)
        return e
    }
}

/// Throws when `estimate` does not fit what this rank can have; returns the estimate with the
/// process's present size added as "runtime" (what a peak-RSS reading compares with).
/// DTRAIN_NO_MEMORY_PREFLIGHT=1 skips the check (an estimate that is wrong for some machine; the
/// tests of the allocation net below it).
func memoryPreflight(_ estimate: MemoryEstimate, config: RunConfig) throws -> MemoryEstimate {
    let system = SystemMemory.current()
    let skip = ProcessInfo.processInfo.environment["DTRAIN_NO_MEMORY_PREFLIGHT"] == "1"
    if !skip, let available = system.available, estimate.total > available {
        throw InputError("\(config.source): model \(config.model.name) needs \(MemoryEstimate.format(estimate.total)) per rank "
                         + "(\(estimate.breakdown)); this rank can have \(MemoryEstimate.format(available)) (\(system.boundBy)): "
                         + "lower train.batch_size or the model's size, or run on a node with more memory")
    }
    var withRuntime = estimate
    withRuntime.add("runtime", bytes: system.resident)
    return withRuntime
}
