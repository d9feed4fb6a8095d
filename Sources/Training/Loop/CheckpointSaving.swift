// Checkpoints during training (DESIGN.md "Checkpoints"): checkpoint-epochNNN (or -stepNNNNNNN
// mid-epoch), latest and, when the validation accuracy improved (the test accuracy when the run
// has no validation split), best — all written by rank 0, each atomically; numbered checkpoints
// are pruned to checkpoint.keep. Every rank takes part (the per-rank shard counts are gathered).
// Rank 0 snapshots the checkpoint on the loop's thread and writes the files in the background
// (BackgroundWrites: one checkpoint in flight at most; `run` waits for the last before it returns),
// so the fsyncs are off the critical path; the file is written and fsynced once, and latest/best
// are hard links to it (identical contents; never changed in place). `checkpointSeconds` is what
// saving held the loop this epoch, the gather of the shard counts included (on rank 0 that is its
// wait for the other ranks to reach the save).

import Core
import Foundation
import NN

extension Trainer {
    func saveCheckpoints(epoch: Int, validation: Double?) throws {
        let start = monotonicSeconds()
        defer { checkpointSeconds += monotonicSeconds() - start }
        let counts = comm.allgather([Double(passes.ownCorrect), Double(passes.ownSeen)])
        guard isRoot else { return }
        let improved = validation.map { $0 > bestValidation } ?? false
        if let validation, improved { bestValidation = validation }
        let t = config.train
        let partial = step % shards.stepsPerEpoch == 0 ? nil : CheckpointMetadata.PartialEpoch(
            lossSum: sums.lossSum, correct: sums.correct, seen: sums.seen, seconds: sums.seconds,
            rankCorrect: counts.map { Int($0[0]) }, rankSeen: counts.map { Int($0[1]) })
        let meta = CheckpointMetadata(
            config: config.resolvedYAML, epoch: epoch, step: step, seed: config.seed, worldSize: comm.size,
            batchSize: t.batchSize, globalBatch: comm.size * t.batchSize * t.accumulate, model: config.model.name,
            dtrainVersion: dtrainVersion, valAccuracy: validation, bestValAccuracy: bestValidation.isFinite ? bestValidation : nil,
            allreduce: t.allreduce.rawValue, exactShift: exactShift ?? 24, partialEpoch: partial,
            optimizer: optimizer.kind.rawValue, optimizerStep: optimizer.stepCount, classNames: data.classNames).strings
        let folder = config.output
        let midEpoch = step % shards.stepsPerEpoch != 0     // every_steps, or a run cut short by max_steps
        let name = midEpoch ? String(format: "checkpoint-step%07d.safetensors", step)
                            : String(format: "checkpoint-epoch%03d.safetensors", epoch)
        try checkpointWrites.finish()     // the previous write first: never two snapshots in memory at once
        let snapshot = Checkpoint.snapshot(network: network, optimizer: optimizer, metadata: meta)
        let paths = [name, "latest.safetensors"] + (improved ? ["best.safetensors"] : [])
        let keep = config.checkpoint.keep
        try checkpointWrites.submit {
            // one write and fsync; the other names are hard links to it (copies where links fail)
            let written = folder + "/" + paths[0], others = paths.dropFirst().map { folder + "/" + $0 }
            try snapshot.write(to: written)
            if try !linkAtomically(written, to: others) {
                for p in others { try snapshot.write(to: p) }
            }
            Self.pruneCheckpoints(in: folder, keep: keep)
        }
    }

    private static func pruneCheckpoints(in folder: String, keep: Int) {
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
