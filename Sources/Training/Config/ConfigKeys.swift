// Every key a run config accepts, as the lists the parser checks maps against (RunConfig.parse,
// parseSchedule, parseOneCycle, parseNormalize, parseAugmentation), so the parser, its
// "did you mean" suggestions and the README's key table (ConfigKeysDocumentedTests) read one list.
// A key added to the parser is added here, or the parser refuses it.

extension RunConfig {
    public static let topKeys = ["model", "init", "data", "train", "checkpoint", "seed", "output", "diagnostics"]
    public static let dataKeys = ["dataset", "split", "labels", "path", "validation", "normalize", "positive_class", "augment"]
    public static let trainKeys = ["epochs", "batch_size", "lr", "momentum", "nesterov", "weight_decay",
                                   "schedule", "warmup_epochs", "max_steps", "scale_lr", "eval_batch",
                                   "stall_warning_s", "allreduce", "bucket_mb", "micro_batch", "accumulate",
                                   "compress", "compress_feedback",
                                   "optimizer", "betas", "eps", "label_smoothing", "eval_every"]
    public static let checkpointKeys = ["every_steps", "keep"]
    /// data.normalize as a map.
    public static let normalizeKeys = ["mean", "std"]
    /// data.augment.
    public static let augmentKeys = ["shift", "rotate", "scale", "shear", "stroke", "crop", "flip", "break"]
    /// data.augment.crop.
    public static let cropKeys = ["pad"]
    /// train.schedule as a map: {step: ...} or {onecycle: ...}.
    public static let scheduleKeys = ["step", "onecycle"]
    public static let stepScheduleKeys = ["every", "gamma"]
    public static let oneCycleKeys = ["pct_start", "div_factor", "final_div_factor", "cycle_momentum", "base_momentum", "max_momentum"]

    /// Every accepted key as a dotted path ("train.schedule.onecycle.pct_start"), maps included
    /// ("data.augment"), in the order above. `model` is an inline spec or a path: its keys are the
    /// model spec's, documented with the spec, not here.
    public static var acceptedKeys: [String] {
        func under(_ prefix: String, _ keys: [String]) -> [String] { keys.map { prefix + "." + $0 } }
        return topKeys + under("data", dataKeys) + under("data.normalize", normalizeKeys)
            + under("data.augment", augmentKeys) + under("data.augment.crop", cropKeys)
            + under("train", trainKeys) + under("train.schedule", scheduleKeys)
            + under("train.schedule.step", stepScheduleKeys) + under("train.schedule.onecycle", oneCycleKeys)
            + under("checkpoint", checkpointKeys)
    }
}
