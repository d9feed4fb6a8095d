// The run config (DESIGN.md "Run config"): model, data, train, checkpoint, seed, output.
// Read strictly: an unknown key or a value of the wrong type is an InputError naming the file and
// the key. `--set a.b=value` overrides are applied to the YAML tree before it is read, so they are
// checked exactly like the file. `resolved` keeps the final tree (saved in checkpoints).

import Core
import Foundation
import NN
import Datasets

public struct RunConfig {
    public struct DataConfig: Equatable {
        /// data.dataset with data.split (emnist) and data.labels (cifar100).
        public var dataset: DatasetName = .mnist
        public var path: String = "data/mnist"
        public var validation: Int = 5000
        /// Per-channel normalisation (nil: pixels in [0, 1]); see NormalizeConfig.swift.
        public var normalize: Normalization? = nil
        /// data.normalize: auto not yet measured (RunConfig.resolveNormalization, done by Trainer).
        public var normalizeAuto = false
        /// For 1-output (logistic) models: the digit that counts as the positive class.
        public var positiveClass: Int? = nil
        /// Training-time augmentation (data.augment; nil: none).
        public var augment: Augmentation? = nil
    }
    public enum AllreduceStrategy: String, Sendable { case flat, bucketed, coordinator, exact }
    public struct TrainConfig: Sendable, Equatable {
        public var epochs = 5
        public var batchSize = 64
        public var lr = 0.05
        public var momentum = 0.9
        public var nesterov = false
        public var weightDecay = 0.0005
        public var schedule: Schedule = .constant
        public var warmupEpochs = 0.0
        public var maxSteps: Int? = nil
        public var scaleLR = false                  // scale_lr: linear
        public var evalBatch = 500
        public var stallWarningSeconds = 60.0
        public var allreduce: AllreduceStrategy = .flat
        public var bucketMB = 1.0
        public var microBatch: Int? = nil
        /// Micro-steps of batch_size per exchange (gradient accumulation, as PyTorch's no_sync):
        /// one rank at batch b x K computes the update of K ranks at batch b.
        public var accumulate = 1
        /// The exact strategy's micro-batch: train.micro_batch, or 8 (at most the per-rank batch).
        public var exactMicroBatch: Int { microBatch ?? min(batchSize, 8) }
    }
    public struct CheckpointConfig: Sendable, Equatable {
        public var everySteps: Int? = nil
        public var keep = 3
    }

    public var model: ModelSpec
    public var data = DataConfig()
    public var train = TrainConfig()
    public var checkpoint = CheckpointConfig()
    public var seed: UInt64 = 42
    public var output = "runs/default"
    /// Per-layer diagnostics in metrics.jsonl each epoch (rank 0, a fixed validation batch).
    public var diagnostics = true
    public var source: String                 // the config file
    public var resolved: ConfigValue          // the config tree after --set, model inlined

    public static let topKeys = ["model", "init", "data", "train", "checkpoint", "seed", "output", "diagnostics"]

    /// Loads `path` and applies `overrides` ("train.lr=0.1").
    public static func load(path: String, overrides: [String] = []) throws -> RunConfig {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): cannot read the run config (no such file or not readable)")
        }
        guard let text = String(data: bytes, encoding: .utf8) else { throw InputError("\(path): not UTF-8 text") }
        var tree = try ConfigValue.parse(yaml: text, file: path)
        if tree == .null { tree = .map([]) }
        try applyOverrides(overrides, to: &tree)
        return try parse(tree, file: path)
    }

    /// A config saved in a checkpoint's metadata (model inlined), with `overrides` applied.
    public static func fromCheckpoint(_ point: ResumePoint, overrides: [String]) throws -> RunConfig {
        let label = "\(point.path) (saved config)"
        var tree = try ConfigValue.parse(yaml: point.configYAML, file: label)
        try applyOverrides(overrides, to: &tree)
        let config = try parse(tree, file: label)
        // training resolves auto before it saves: a checkpoint's model was trained on numbers
        guard !config.data.normalizeAuto else {
            throw InputError("\(label): data.normalize: auto was never measured; expected {mean, std} numbers in a checkpoint's config")
        }
        return config
    }

    /// Keeps the checkpoint's global batch at this world size (the same global batch sequence
    /// continues). Returns a line to print when the per-rank batch changed.
    public mutating func adopt(_ point: ResumePoint, worldSize: Int) throws -> String? {
        let batches = worldSize * train.accumulate          // batches of batch_size per global step
        guard point.globalBatch != batches * train.batchSize else { return nil }
        guard point.globalBatch % batches == 0 else {
            throw InputError("\(point.path): its global batch \(point.globalBatch) cannot be split over \(worldSize) ranks x train.accumulate \(train.accumulate): resume at a world size that divides it")
        }
        train.batchSize = point.globalBatch / batches
        resolved.set(path: ["train", "batch_size"], to: .scalar(String(train.batchSize)))
        return "resuming a world-size-\(point.worldSize) checkpoint at world size \(worldSize): per-rank batch \(train.batchSize) keeps the global batch of \(point.globalBatch), so the same global batch sequence continues"
    }

    public static func applyOverrides(_ overrides: [String], to tree: inout ConfigValue) throws {
        for o in overrides {
            guard let eq = o.firstIndex(of: "="), eq != o.startIndex else {
                throw InputError("--set \(o): expected KEY=VALUE, e.g. --set train.lr=0.1")
            }
            let key = String(o[..<eq]), valueText = String(o[o.index(after: eq)...])
            let path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard path.allSatisfy({ !$0.isEmpty }) else { throw InputError("--set \(o): empty part in key '\(key)'") }
            guard topKeys.contains(path[0]) else {
                throw InputError("--set \(o): unknown key '\(path[0])' (expected one of: \(topKeys.joined(separator: ", ")))")
            }
            let value = try ConfigValue.parse(yaml: valueText, file: "--set \(key)")
            tree.set(path: path, to: value)
        }
    }

    public static func parse(_ tree: ConfigValue, file: String) throws -> RunConfig {
        let root = ConfigCursor(tree, file: file)
        let m = try root.map(allowed: topKeys)
        let modelCursor = try m.required("model")
        let model: ModelSpec
        var resolvedTree = tree
        if case .scalar(let rel) = modelCursor.value {
            let base = URL(fileURLWithPath: file).deletingLastPathComponent()
            let modelPath = rel.hasPrefix("/") ? rel : base.appendingPathComponent(rel).path
            model = try ModelSpec.load(path: modelPath)
            let modelText = (try? String(contentsOfFile: modelPath, encoding: .utf8)) ?? ""
            resolvedTree.set(path: ["model"], to: try ConfigValue.parse(yaml: modelText, file: modelPath))
        } else {
            model = try ModelSpec.parse(modelCursor)
        }
        resolvedTree.set(path: ["model", "name"], to: .scalar(model.name))   // a defaulted name survives --resume
        var config = RunConfig(model: model, source: file, resolved: resolvedTree)
        // `init:` replaces the model's default initialisation (per-layer init in the spec still wins)
        if let v = m["init"] { config.model.initPreset = try InitPreset.parse(v) }
        if let d = m["data"] {
            let dm = try d.map(allowed: ["dataset", "split", "labels", "path", "validation", "normalize", "positive_class", "augment"])
            do {
                config.data.dataset = try DatasetName(dataset: try dm["dataset"]?.string() ?? "mnist",
                                                      split: try dm["split"]?.string(), labels: try dm["labels"]?.string())
            } catch let error as InputError where error.message.hasPrefix("data.") {
                throw InputError("\(file): \(error.message)")            // name the config file too
            }
            if let v = dm["path"] { config.data.path = try v.string() }
            if let v = dm["validation"] { config.data.validation = try v.nonNegativeInt() }
            if let v = dm["normalize"] { try parseNormalize(v, channels: model.input.c, into: &config.data) }
            if let v = dm["positive_class"] { config.data.positiveClass = try v.nonNegativeInt() }
            if let v = dm["augment"] { config.data.augment = try parseAugmentation(v) }
        }
        if let t = m["train"] {
            let tm = try t.map(allowed: ["epochs", "batch_size", "lr", "momentum", "nesterov", "weight_decay",
                                         "schedule", "warmup_epochs", "max_steps", "scale_lr", "eval_batch",
                                         "stall_warning_s", "allreduce", "bucket_mb", "micro_batch", "accumulate"])
            var tc = config.train
            if let v = tm["epochs"] {
                tc.epochs = try v.positiveInt()
                guard tc.epochs <= 1_000_000 else { throw v.fail("at most 1000000 epochs") }
            }
            if let v = tm["batch_size"] { tc.batchSize = try v.positiveInt() }
            if let v = tm["lr"] {
                tc.lr = try v.double()
                guard tc.lr >= 0 else { throw v.fail("a learning rate >= 0") }
            }
            if let v = tm["momentum"] {
                tc.momentum = try v.double()
                guard (0..<1).contains(tc.momentum) else { throw v.fail("a momentum in [0, 1)") }
            }
            if let v = tm["nesterov"] { tc.nesterov = try v.bool() }
            if let v = tm["weight_decay"] {
                tc.weightDecay = try v.double()
                guard tc.weightDecay >= 0 else { throw v.fail("a weight decay >= 0") }
            }
            if let v = tm["schedule"] { tc.schedule = try parseSchedule(v) }
            if let v = tm["warmup_epochs"] {
                tc.warmupEpochs = try v.double()
                guard tc.warmupEpochs >= 0 else { throw v.fail("warmup epochs >= 0") }
            }
            if let v = tm["max_steps"] { tc.maxSteps = try v.positiveInt() }
            if let v = tm["scale_lr"] {
                let s = try v.string()
                guard ["linear", "none"].contains(s) else { throw v.fail("linear or none") }
                tc.scaleLR = s == "linear"
            }
            if let v = tm["eval_batch"] { tc.evalBatch = try v.positiveInt() }
            if let v = tm["stall_warning_s"] {
                tc.stallWarningSeconds = try v.double()
                guard tc.stallWarningSeconds > 0 else { throw v.fail("a positive number of seconds") }
            }
            if let v = tm["allreduce"] {
                guard let s = AllreduceStrategy(rawValue: try v.string()) else { throw v.fail("flat, bucketed, coordinator or exact") }
                tc.allreduce = s
            }
            if let v = tm["bucket_mb"] {
                tc.bucketMB = try v.double()
                guard tc.bucketMB > 0 else { throw v.fail("a positive size in MB") }
            }
            if let v = tm["micro_batch"] { tc.microBatch = try v.positiveInt() }
            if let v = tm["accumulate"] { tc.accumulate = try v.positiveInt() }
            // samples per rank and step are counted in Int32 (sample IDs) and multiplied by the
            // world size: keep them far from overflow
            if tc.batchSize > 1 << 24 { throw (tm["batch_size"] ?? t).fail("a batch size of at most \(1 << 24)") }
            if tc.accumulate > 1 << 16 { throw (tm["accumulate"] ?? t).fail("at most \(1 << 16) micro-steps") }
            if tc.batchSize * tc.accumulate > 1 << 24 {
                throw (tm["accumulate"] ?? t).fail("batch_size x accumulate of at most \(1 << 24) samples per rank")
            }
            config.train = tc
        }
        if let c = m["checkpoint"] {
            let cm = try c.map(allowed: ["every_steps", "keep"])
            if let v = cm["every_steps"] { config.checkpoint.everySteps = try v.positiveInt() }
            if let v = cm["keep"] { config.checkpoint.keep = try v.nonNegativeInt() }
        }
        if let v = m["seed"] {
            let s = try v.int()
            guard s >= 0 else { throw v.fail("a seed >= 0") }
            config.seed = UInt64(s)
        }
        if let v = m["output"] { config.output = try v.string() }
        if let v = m["diagnostics"] { config.diagnostics = try v.bool() }
        if config.model.layers.isEmpty { throw InputError("\(file): model: no layers") }
        _ = try NetworkPlan(config.model)
        return config
    }

    static func parseSchedule(_ c: ConfigCursor) throws -> Schedule {
        if case .scalar(let s) = c.value {
            switch s {
            case "constant": return .constant
            case "cosine": return .cosine
            default: throw c.fail("constant, cosine or {step: {every: N, gamma: G}}")
            }
        }
        let m = try c.map(allowed: ["step"])
        let sm = try m.required("step").map(allowed: ["every", "gamma"])
        let gamma = try sm["gamma"]?.double() ?? 0.1
        guard gamma > 0 else { throw sm["gamma"]!.fail("a positive gamma") }
        return .step(every: try sm.required("every").positiveInt(), gamma: gamma)
    }

    /// The YAML saved with checkpoints: the resolved tree, model inlined.
    public var resolvedYAML: String { resolved.yaml() }
}
