// Checkpoints during training (DESIGN.md "Checkpoints"): checkpoint-epochNNN (or -stepNNNNNNN
// mid-epoch), latest and, when the validation accuracy improved (the test accuracy when the run
// has no validation split), best — all written by rank 0, each atomically; numbered checkpoints
// are pruned to checkpoint.keep. Every rank takes part (the per-rank shard counts are gathered).

import Core
import Foundation
import NN

extension Trainer {
    func saveCheckpoints(epoch: Int, validation: Double?) throws {
        let counts = comm.allgather([Double(passes.ownCorrect), Double(passes.ownSeen)])
        guard isRoot else { return }
        var meta: [String: String] = [
            "format": "dtrain-checkpoint-1",
            "config": config.resolvedYAML,
            "epoch": String(epoch),
            "step": String(step),
            "seed": String(config.seed),
            "world_size": String(comm.size),
            "batch_size": String(config.train.batchSize),
            "global_batch": String(comm.size * config.train.batchSize * config.train.accumulate),
            "model": config.model.name,
            "dtrain_version": dtrainVersion,
            "val_accuracy": validation.map { String(format: "%.4f", $0) } ?? "",
            "allreduce": config.train.allreduce.rawValue,
            "exact_shift": String((strategy as? ExactExchange)?.shift ?? 24),
        ]
        let improved = validation.map { $0 > bestValidation } ?? false
        if let validation, improved { bestValidation = validation }
        meta["best_val_accuracy"] = bestValidation.isFinite ? String(bestValidation) : ""
        if step % shards.stepsPerEpoch != 0 {
            meta["epoch_loss_sum"] = String(sums.lossSum)
            meta["epoch_correct"] = String(sums.correct)
            meta["epoch_seen"] = String(sums.seen)
            meta["epoch_seconds"] = String(sums.seconds)
            meta["rank_correct"] = counts.map { String(Int($0[0])) }.joined(separator: ",")
            meta["rank_seen"] = counts.map { String(Int($0[1])) }.joined(separator: ",")
        }
        let folder = config.output
        let midEpoch = step % shards.stepsPerEpoch != 0     // every_steps, or a run cut short by max_steps
        let name = midEpoch ? String(format: "checkpoint-step%07d.safetensors", step)
                            : String(format: "checkpoint-epoch%03d.safetensors", epoch)
        try Checkpoint.save(path: folder + "/" + name, network: network, optimizer: optimizer, metadata: meta)
        try Checkpoint.save(path: folder + "/latest.safetensors", network: network, optimizer: optimizer, metadata: meta)
        if improved {
            try Checkpoint.save(path: folder + "/best.safetensors", network: network, optimizer: optimizer, metadata: meta)
        }
        pruneCheckpoints(in: folder, keep: config.checkpoint.keep)
    }

    private func pruneCheckpoints(in folder: String, keep: Int) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder) else { return }
        let numbered = names.filter { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".safetensors") }
            .compactMap { name -> (Int, String)? in
                guard let meta = try? SafeTensorsFile.open(path: folder + "/" + name).metadata,
                      let s = meta["step"].flatMap(Int.init) else { return nil }
                return (s, name)
            }
            .sorted { $0.0 < $1.0 }
        for (_, name) in numbered.dropLast(keep) { try? fm.removeItem(atPath: folder + "/" + name) }
    }
}
