// Where a resumed run starts: the checkpoint's step, world size, global batch and the running
// sums of a partly-done epoch, read by rank 0 and shared with every rank before the trainer is
// built (the per-rank batch may change when the world size does).

import Core
import Foundation
import NN
import Collective

public struct ResumePoint {
    public struct PartialEpoch {
        public var lossSum: Double, correct: Double, seen: Double, seconds: Double
        public var rankCorrect: [Int], rankSeen: [Int]
    }
    public var path: String
    public var step: Int
    public var epoch: Int
    public var worldSize: Int
    public var globalBatch: Int
    public var bestValidation: Double
    public var configYAML: String
    public var epochSums: PartialEpoch?
    /// The exact strategy's fixed-point scale at the checkpoint (bit-identical resume).
    public var exactShift: Int?

    /// Rank 0 reads the header of FILE (or DIR/latest.safetensors); every rank gets the result.
    public static func read(_ pathOrFolder: String, comm: Communicator) throws -> ResumePoint {
        var encoded = ""
        if comm.rank == 0 {
            let path = try Checkpoint.resolve(pathOrFolder)
            let file = try SafeTensorsFile.open(path: path)
            var meta = file.metadata
            meta["__path"] = path
            for key in ["step", "epoch", "world_size", "global_batch"] { _ = try Checkpoint.intMetadata(file, key) }
            guard meta["config"] != nil else { throw InputError("\(path): metadata 'config' missing (not a dtrain checkpoint?)") }
            let data = try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys])
            encoded = String(decoding: data, as: UTF8.self)
        }
        encoded = comm.broadcast(encoded, root: 0)
        guard let object = try? JSONSerialization.jsonObject(with: Data(encoded.utf8)) as? [String: String] else {
            throw InputError("\(pathOrFolder): checkpoint metadata could not be shared")
        }
        func int(_ k: String) -> Int { Int(object[k] ?? "") ?? 0 }
        func double(_ k: String) -> Double? { object[k].flatMap(Double.init) }
        var partial: PartialEpoch? = nil
        if let loss = double("epoch_loss_sum"), let correct = double("epoch_correct"), let seen = double("epoch_seen") {
            let ints = { (k: String) in (object[k] ?? "").split(separator: ",").compactMap { Int($0) } }
            partial = PartialEpoch(lossSum: loss, correct: correct, seen: seen, seconds: double("epoch_seconds") ?? 0,
                                   rankCorrect: ints("rank_correct"), rankSeen: ints("rank_seen"))
        }
        return ResumePoint(path: object["__path"] ?? pathOrFolder, step: int("step"), epoch: int("epoch"),
                           worldSize: int("world_size"), globalBatch: int("global_batch"),
                           bestValidation: double("best_val_accuracy") ?? -Double.infinity,
                           configYAML: object["config"] ?? "", epochSums: partial,
                           exactShift: object["exact_shift"].flatMap(Int.init))
    }
}
