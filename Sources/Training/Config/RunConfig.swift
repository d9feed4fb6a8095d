// The run config (DESIGN.md "Run config"): model, data, train, checkpoint, seed, output.
// Read strictly: an unknown key or a value of the wrong type is an InputError naming the file and
// the key. `--set a.b=value` overrides are applied to the YAML tree before it is read, so they are
// checked exactly like the file. `resolved` keeps the final tree (saved in checkpoints).
//
// Optimisation keys of `train` beyond DESIGN.md's example (PyTorch's names and defaults):
//   optimizer: sgd | adam | adamw     sgd uses momentum, nesterov; adam/adamw use betas, eps;
//                                     weight_decay is L2 for sgd and adam, decoupled for adamw;
//                                     when absent 0.0005 for sgd, 0 for adam, 0.01 for adamw
//   betas: [0.9, 0.999]               Adam's (beta1, beta2), each in [0, 1)
//   eps: 1e-8                         Adam's denominator term, > 0
//   schedule: onecycle                or {onecycle: {pct_start: 0.3, div_factor: 25,
//                                     final_div_factor: 1e4, cycle_momentum: false,
//                                     base_momentum: 0.85, max_momentum: 0.95}} (OneCycleLR's;
//                                     max lr = train.lr; warmup_epochs must stay 0)
//   label_smoothing: 0                in [0, 1), PyTorch's CrossEntropyLoss(label_smoothing=);
//                                     softmax models only
//   eval_every: 1                     epochs between evaluations; 0 = only after the last epoch
//   compress: none                    gradient wire format: none | fp16 | bf16 (16-bit values
//                                     summed in fp32, Collective/HalfFloat.swift); not with exact
//   compress_feedback: false          error feedback: each rank adds its last rounding residual
//                                     to the next step's gradient before rounding (needs compress)

import Core
import Foundation
import NN
import Datasets
import Collective

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
        /// Default: defaultWeightDecay(optimizer) — sgd's 0.0005 until train.optimizer says otherwise.
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
        /// train.compress: the gradients' 16-bit wire format (nil: fp32, `none`).
        public var compress: HalfFormat? = nil
        /// train.compress_feedback: carry each rank's rounding residual into its next step.
        public var compressFeedback = false
        public var optimizer: OptimizerKind = .sgd
        public var beta1 = 0.9, beta2 = 0.999       // betas: [beta1, beta2]
        public var eps = 1e-8
        public var labelSmoothing = 0.0
        /// Epochs between evaluations (validation and test); 0: only after the last epoch.
        public var evalEvery = 1
        /// The exact strategy's micro-batch: train.micro_batch, or 8 (at most the per-rank batch).
        public var exactMicroBatch: Int { microBatch ?? min(batchSize, 8) }
        /// The weight decay when train.weight_decay is absent: dtrain's SGD default 0.0005, and
        /// PyTorch's defaults for Adam (0) and AdamW (0.01).
        public static func defaultWeightDecay(_ kind: OptimizerKind) -> Double {
            switch kind {
            case .sgd: return 0.0005
            case .adam: return 0
            case .adamw: return 0.01
            }
        }
        /// What the trainer builds its optimiser from.
        public var optimizerSettings: OptimizerSettings {
            OptimizerSettings(kind: optimizer, momentum: Float(momentum), nesterov: nesterov, weightDecay: Float(weightDecay),
                              beta1: beta1, beta2: beta2, eps: Float(eps))
        }
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

    /// Loads `path` and applies `overrides` ("train.lr=0.1").
    public static func load(path: String, overrides: [String] = []) throws -> RunConfig {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): cannot read the run config (no such file or not readable)")
        }
        if FileSniff.isSafeTensors(bytes) {
            throw InputError("\(path): is \(safeTensorsDescription); expected a run config (configs/*.yaml); to continue a checkpoint's run use --resume \(path)")
        }
        guard let text = String(data: bytes, encoding: .utf8) else { throw InputError("\(path): not UTF-8 text") }
        var tree = try ConfigValue.parse(yaml: text, file: path)
        if tree == .null { tree = .map([]) }
        let kind = YAMLDocumentKind(tree)
        guard kind == .runConfig || kind == .other else {
            throw InputError("\(path): is \(kind.described), not a run config; a run config names its model under model: (e.g. configs/lenet5.yaml)")
        }
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
                throw InputError("--set \(o): unknown key '\(path[0])'\(didYouMean(path[0], among: topKeys)) (expected one of: \(topKeys.joined(separator: ", ")))")
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
        // `init:` initialises every conv and linear layer: it replaces the model's default and the
        // spec's per-layer inits alike (ModelSpec.initialiseEveryLayer)
        if let v = m["init"] { config.model.initialiseEveryLayer(with: try InitPreset.parse(v)) }
        if let d = m["data"] {
            let dm = try d.map(allowed: dataKeys)
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
            let tm = try t.map(allowed: trainKeys)
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
                if case .onecycle = tc.schedule, tc.warmupEpochs > 0 {
                    throw v.fail("0 with schedule onecycle (it warms up by itself: set train.schedule.onecycle.pct_start, the warm-up's share of the run, in [0, 1))")
                }
            }
            if let v = tm["optimizer"] {
                guard let kind = OptimizerKind(rawValue: try v.string()) else { throw v.fail("one of \(OptimizerKind.allowed)") }
                tc.optimizer = kind
                // PyTorch's default weight decay per optimiser when the key is not given
                if tm["weight_decay"] == nil { tc.weightDecay = TrainConfig.defaultWeightDecay(kind) }
            }
            if let v = tm["betas"] {
                let items = try v.list()
                guard items.count == 2 else { throw v.fail("a list of two betas [beta1, beta2], each in [0, 1)") }
                let betas = try items.map { item -> Double in
                    let b = try item.double()
                    guard (0..<1).contains(b) else { throw item.fail("a beta in [0, 1)") }
                    return b
                }
                (tc.beta1, tc.beta2) = (betas[0], betas[1])
            }
            if let v = tm["eps"] {
                tc.eps = try v.double()
                guard tc.eps > 0 else { throw v.fail("an eps > 0 (0 divides zero gradients by zero)") }
            }
            if let v = tm["label_smoothing"] {
                tc.labelSmoothing = try v.double()
                guard (0..<1).contains(tc.labelSmoothing) else { throw v.fail("a label smoothing in [0, 1)") }
            }
            if let v = tm["eval_every"] { tc.evalEvery = try v.nonNegativeInt() }
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
            if let v = tm["compress"] {
                let s = try v.string()
                guard s == "none" || HalfFormat(rawValue: s) != nil else { throw v.fail("none, fp16 or bf16") }
                tc.compress = HalfFormat(rawValue: s)
            }
            if let v = tm["compress_feedback"] {
                tc.compressFeedback = try v.bool()
                if tc.compressFeedback && tc.compress == nil { throw v.fail("false unless train.compress is fp16 or bf16 (there is no rounding to feed back)") }
            }
            if let f = tc.compress, tc.allreduce == .exact {
                throw (tm["compress"] ?? t).fail("none with train.allreduce: exact (exact sums fixed-point integers to be bit-identical at any world size; \(f.rawValue) rounding would break that), or another train.allreduce")
            }
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
            let cm = try c.map(allowed: checkpointKeys)
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
        let plan = try NetworkPlan(config.model)
        if config.train.labelSmoothing > 0, plan.classes == 1 {
            throw InputError("\(file): train.label_smoothing: expected 0 for a 1-output (logistic) model, got \(config.train.labelSmoothing) (smoothing applies to softmax cross-entropy, 2 or more outputs)")
        }
        return config
    }

    static let schedules = "constant | cosine | onecycle | {step: {every: N, gamma: G}} | {onecycle: {pct_start, div_factor, final_div_factor, cycle_momentum, base_momentum, max_momentum}}"

    static func parseSchedule(_ c: ConfigCursor) throws -> Schedule {
        if case .scalar(let s) = c.value {
            switch s {
            case "constant": return .constant
            case "cosine": return .cosine
            case "onecycle": return .onecycle(OneCycle())
            default: throw c.fail("one of \(schedules)")
            }
        }
        guard case .map(let entries) = c.value, entries.count == 1 else { throw c.fail("one of \(schedules)") }
        let m = try c.map(allowed: scheduleKeys)
        if let o = m["onecycle"] { return .onecycle(try parseOneCycle(o)) }
        let sm = try m.required("step").map(allowed: stepScheduleKeys)
        let gamma = try sm["gamma"]?.double() ?? 0.1
        guard gamma > 0 else { throw sm["gamma"]!.fail("a positive gamma") }
        return .step(every: try sm.required("every").positiveInt(), gamma: gamma)
    }

    static func parseOneCycle(_ c: ConfigCursor) throws -> OneCycle {
        var o = OneCycle()
        if c.isNull { return o }
        let m = try c.map(allowed: oneCycleKeys)
        if let v = m["pct_start"] {
            o.pctStart = try v.double()
            guard (0..<1).contains(o.pctStart) else {
                throw v.fail("a warm-up share of the run in [0, 1) (a warm-up as long as the run or longer leaves nothing to anneal)")
            }
        }
        if let v = m["div_factor"] {
            o.divFactor = try v.double()
            guard o.divFactor > 0 else { throw v.fail("a positive div_factor (initial lr = lr / div_factor)") }
        }
        if let v = m["final_div_factor"] {
            o.finalDivFactor = try v.double()
            guard o.finalDivFactor > 0 else { throw v.fail("a positive final_div_factor (final lr = initial lr / final_div_factor)") }
        }
        if let v = m["cycle_momentum"] { o.cycleMomentum = try v.bool() }
        for (key, path) in [("base_momentum", \OneCycle.baseMomentum), ("max_momentum", \OneCycle.maxMomentum)] {
            guard let v = m[key] else { continue }
            o[keyPath: path] = try v.double()
            guard (0..<1).contains(o[keyPath: path]) else { throw v.fail("a momentum in [0, 1)") }
        }
        if o.baseMomentum > o.maxMomentum {
            throw (m["base_momentum"] ?? c).fail("base_momentum <= max_momentum (\(o.maxMomentum))")
        }
        return o
    }

    /// The YAML saved with checkpoints: the resolved tree, model inlined.
    public var resolvedYAML: String { resolved.yaml() }
}
