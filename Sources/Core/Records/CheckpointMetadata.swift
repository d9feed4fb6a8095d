// The `__metadata__` of a dtrain checkpoint (DESIGN.md "Checkpoints"): a string-to-string map on
// disk, one typed value here, shared by the writer (training) and every reader (--resume, eval,
// export). Reading checks each value's type and range where it is parsed, so a hostile or damaged
// checkpoint stops with an InputError naming the file, the key and the value (exit 2), never a trap
// later: step >= 0, epoch >= 1 and consistent with step, world_size >= 1, batch sizes >= 1 and
// global_batch a multiple of batch_size, exact_shift in 0...60, accuracies in [0, 100], the
// partial-epoch sums finite and >= 0 with one rank_correct <= rank_seen pair per rank, optimizer
// one of sgd, adam, adamw (absent: sgd, what older checkpoints hold) and optimizer_step, the
// optimiser's update count (Adam's bias correction), in 0...2^31-1 (absent: 0).

import Foundation

public struct CheckpointMetadata: Equatable, Sendable {
    public static let formatName = "dtrain-checkpoint-1"

    /// The running sums of a partly-done epoch (mid-epoch checkpoints only).
    public struct PartialEpoch: Equatable, Sendable {
        public var lossSum: Double, correct: Double, seen: Double, seconds: Double
        public var rankCorrect: [Int], rankSeen: [Int]
        public init(lossSum: Double, correct: Double, seen: Double, seconds: Double, rankCorrect: [Int], rankSeen: [Int]) {
            self.lossSum = lossSum; self.correct = correct; self.seen = seen; self.seconds = seconds
            self.rankCorrect = rankCorrect; self.rankSeen = rankSeen
        }
    }

    public var config: String                  // the resolved run config, YAML, model inlined
    public var epoch: Int                      // 1-based epoch the checkpoint was written in
    public var step: Int                       // global steps completed
    public var seed: UInt64
    public var worldSize: Int
    public var batchSize: Int                  // per rank
    public var globalBatch: Int                // samples per update, every rank together
    public var model: String
    public var dtrainVersion: String
    public var valAccuracy: Double?            // the accuracy that chose best.safetensors (nil: none)
    public var bestValAccuracy: Double?
    public var allreduce: String
    public var exactShift: Int                 // the exact strategy's fixed-point scale, log2
    public var partialEpoch: PartialEpoch?
    /// What each output means, in label order (`class_names`: a JSON array of strings). nil in
    /// checkpoints written before datasets had names; readers then print label numbers.
    public var classNames: [String]?
    public static let maxClassNames = 100_000, maxClassNameBytes = 256
    public static let optimizers = ["sgd", "adam", "adamw"]
    public var optimizer: String               // whose state the tensors optimizer.* hold
    public var optimizerStep: Int              // the optimiser's updates so far

    public init(config: String, epoch: Int, step: Int, seed: UInt64, worldSize: Int, batchSize: Int, globalBatch: Int,
                model: String, dtrainVersion: String, valAccuracy: Double?, bestValAccuracy: Double?, allreduce: String,
                exactShift: Int, partialEpoch: PartialEpoch?, optimizer: String = "sgd", optimizerStep: Int = 0,
                classNames: [String]? = nil) {
        self.classNames = classNames
        self.config = config; self.epoch = epoch; self.step = step; self.seed = seed; self.worldSize = worldSize
        self.batchSize = batchSize; self.globalBatch = globalBatch; self.model = model; self.dtrainVersion = dtrainVersion
        self.valAccuracy = valAccuracy; self.bestValAccuracy = bestValAccuracy; self.allreduce = allreduce
        self.exactShift = exactShift; self.partialEpoch = partialEpoch
        self.optimizer = optimizer; self.optimizerStep = optimizerStep
    }

    /// The map written into the safetensors header.
    public var strings: [String: String] {
        var m: [String: String] = [
            "format": Self.formatName, "config": config, "epoch": String(epoch), "step": String(step),
            "seed": String(seed), "world_size": String(worldSize), "batch_size": String(batchSize),
            "global_batch": String(globalBatch), "model": model, "dtrain_version": dtrainVersion,
            "val_accuracy": valAccuracy.map { String(format: "%.4f", $0) } ?? "",
            "best_val_accuracy": bestValAccuracy.map { String($0) } ?? "",
            "allreduce": allreduce, "exact_shift": String(exactShift),
            "optimizer": optimizer, "optimizer_step": String(optimizerStep),
        ]
        if let p = partialEpoch {
            m["epoch_loss_sum"] = String(p.lossSum)
            m["epoch_correct"] = String(p.correct)
            m["epoch_seen"] = String(p.seen)
            m["epoch_seconds"] = String(p.seconds)
            m["rank_correct"] = p.rankCorrect.map(String.init).joined(separator: ",")
            m["rank_seen"] = p.rankSeen.map(String.init).joined(separator: ",")
        }
        if let names = classNames, let text = try? recordJSONText(names) { m["class_names"] = text }
        return m
    }

    /// The `class_names` entry of a checkpoint's metadata map: nil when absent; a bad entry is an
    /// InputError naming `file` (at most maxClassNames names of 1...maxClassNameBytes bytes).
    public static func classNames(in m: [String: String], file: String) throws -> [String]? {
        guard let text = m["class_names"] else { return nil }
        let shape = "a JSON array of at most \(maxClassNames) class names of 1...\(maxClassNameBytes) bytes"
        guard text.utf8.count <= maxClassNames * (maxClassNameBytes + 3) + 2,
              let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8)),
              names.count <= maxClassNames, names.allSatisfy({ (1...maxClassNameBytes).contains($0.utf8.count) }) else {
            throw InputError("\(file): metadata 'class_names': expected \(shape)")
        }
        return names
    }

    /// Parses and checks the map read from `file`. Keys older checkpoints lack get their old
    /// defaults (batch_size from global_batch / world_size, exact_shift 24, allreduce flat).
    public init(strings m: [String: String], file: String) throws {
        let reader = MetadataReader(m: m, file: file)
        guard let config = m["config"], !config.isEmpty else {
            throw InputError("\(file): metadata 'config' missing (not a dtrain checkpoint?)")
        }
        self.config = config
        step = try reader.int("step", in: 0...Int(Int32.max))
        epoch = try reader.int("epoch", in: 1...Int(Int32.max))
        worldSize = try reader.int("world_size", in: 1...1_000_000)
        globalBatch = try reader.int("global_batch", in: 1...Int(Int32.max))
        batchSize = try reader.optionalInt("batch_size", in: 1...globalBatch) ?? max(globalBatch / worldSize, 1)
        guard globalBatch % worldSize == 0 else {
            throw reader.fail("global_batch", "a multiple of world_size \(worldSize)")
        }
        guard globalBatch % batchSize == 0 else { throw reader.fail("global_batch", "a multiple of batch_size \(batchSize)") }
        if let text = m["seed"], !text.isEmpty {
            guard let s = UInt64(text) else { throw reader.fail("seed", "an integer >= 0") }
            seed = s
        } else { seed = 42 }
        model = m["model"] ?? ""
        dtrainVersion = m["dtrain_version"] ?? ""
        // "nan": what older versions wrote for an empty test set; read as no accuracy
        valAccuracy = m["val_accuracy"] == "nan" ? nil : try reader.optionalDouble("val_accuracy", in: 0...100)
        bestValAccuracy = try reader.optionalDouble("best_val_accuracy", in: 0...100)
        allreduce = m["allreduce"] ?? "flat"
        guard ["flat", "bucketed", "coordinator", "exact"].contains(allreduce) else {
            throw reader.fail("allreduce", "flat, bucketed, coordinator or exact")
        }
        exactShift = try reader.optionalInt("exact_shift", in: 0...60) ?? 24
        optimizer = m["optimizer"].flatMap { $0.isEmpty ? nil : $0 } ?? "sgd"
        guard Self.optimizers.contains(optimizer) else { throw reader.fail("optimizer", Self.optimizers.joined(separator: ", ")) }
        optimizerStep = try reader.optionalInt("optimizer_step", in: 0...Int(Int32.max)) ?? 0
        if m["epoch_loss_sum"] != nil || m["epoch_correct"] != nil || m["epoch_seen"] != nil {
            let seen = try reader.double("epoch_seen", in: 0...1e15)
            let correct = try reader.double("epoch_correct", in: 0...seen)
            let lossSum = try reader.double("epoch_loss_sum", in: 0...1e30)
            let seconds = try reader.optionalDouble("epoch_seconds", in: 0...1e9) ?? 0
            let rankCorrect = try reader.intList("rank_correct"), rankSeen = try reader.intList("rank_seen")
            guard rankSeen.count == rankCorrect.count, rankSeen.isEmpty || rankSeen.count == worldSize else {
                throw reader.fail("rank_seen", "one count per rank (world_size \(worldSize)) beside as many in rank_correct")
            }
            guard zip(rankCorrect, rankSeen).allSatisfy({ $0 <= $1 }) else {
                throw reader.fail("rank_correct", "counts no larger than rank_seen's")
            }
            partialEpoch = PartialEpoch(lossSum: lossSum, correct: correct, seen: seen, seconds: seconds,
                                        rankCorrect: rankCorrect, rankSeen: rankSeen)
        } else {
            partialEpoch = nil
        }
        classNames = try Self.classNames(in: m, file: file)
    }

    /// Checks that `step` and `epoch` agree for a run of `stepsPerEpoch` steps an epoch and
    /// `totalSteps` in all (known only once the data set is loaded).
    public func checkAgainstRun(stepsPerEpoch: Int, totalSteps: Int, file: String) throws {
        guard step <= totalSteps else {
            throw InputError("\(file): checkpoint is at step \(step), past this run's \(totalSteps) steps (raise train.epochs)")
        }
        let expected = step == 0 ? 1 : (step - 1) / stepsPerEpoch + 1
        guard epoch == expected else {
            throw InputError("\(file): metadata 'epoch' is \(epoch) but step \(step) is in epoch \(expected) of this run (\(stepsPerEpoch) steps an epoch): a damaged or edited checkpoint, or a run config whose data or batch differ from the checkpoint's")
        }
    }
}

/// Typed reads of the metadata map; every failure names the file, the key and the value.
private struct MetadataReader {
    let m: [String: String]
    let file: String

    func fail(_ key: String, _ expected: String) -> InputError {
        let value = m[key].map { jsonQuoted($0) } ?? "missing"
        return InputError("\(file): metadata '\(key)' is \(value): expected \(expected)")
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int {
        guard let v = try optionalInt(key, in: range) else { throw fail(key, "an integer in \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    func optionalInt(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = m[key], !text.isEmpty else { return nil }
        guard let v = Int(text), range.contains(v) else { throw fail(key, "an integer in \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    func double(_ key: String, in range: ClosedRange<Double>) throws -> Double {
        guard let v = try optionalDouble(key, in: range) else { throw fail(key, "a number") }
        return v
    }

    func optionalDouble(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let text = m[key], !text.isEmpty else { return nil }
        guard let v = Double(text), v.isFinite, range.contains(v) else {
            throw fail(key, "a number in [\(range.lowerBound), \(range.upperBound)]")
        }
        return v
    }

    /// "3,5,0": comma-separated integers >= 0; empty is an empty list.
    func intList(_ key: String) throws -> [Int] {
        guard let text = m[key], !text.isEmpty else { return [] }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= 1_000_000 else { throw fail(key, "one count per rank") }
        return try parts.map { part in
            guard let v = Int(part), v >= 0 else { throw fail(key, "comma-separated integers >= 0") }
            return v
        }
    }
}
