// One line of `<output>/metrics.jsonl` (DESIGN.md "Metrics"): the typed record that the trainer
// writes (`jsonLine`) and the reports read (`read(path:)`), so a key is spelled once. Reading goes
// through JSONSerialization (Linux hands long decimals over as NSDecimalNumber, parsed from their
// text); every problem is an InputError "<file>:<line>: <what>".

import Foundation

/// One layer's entry in an epoch's `diagnostics.layers`: its name and every numeric field
/// (act_mean, act_std, dead_fraction, grad_norm, weight_norm, ...), sorted by key.
public struct LayerDiagnostics: Equatable {
    public var name: String
    public var values: [(key: String, value: Double)]

    public init(name: String, values: [(key: String, value: Double)]) {
        self.name = name
        self.values = values
    }

    public subscript(key: String) -> Double? { values.first { $0.key == key }?.value }

    public static func == (a: LayerDiagnostics, b: LayerDiagnostics) -> Bool {
        a.name == b.name && a.values.map(\.key) == b.values.map(\.key)
            && zip(a.values, b.values).allSatisfy { $0.value == $1.value || ($0.value.isNaN && $1.value.isNaN) }
    }
}

/// One line of metrics.jsonl (DESIGN.md "Metrics"). A number written as null (the trainer writes
/// non-finite values so) reads as NaN, except val_loss/val_accuracy, which are nil when the run
/// had no validation split. An epoch that train.eval_every skipped has null val_* and test_*
/// (nil and NaN here). Accuracies are percentages.
public struct EpochMetrics {
    public var epoch: Int
    public var step: Int
    public var worldSize: Int
    public var lr: Double
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var valLoss: Double?
    public var valAccuracy: Double?
    public var testLoss: Double
    public var testAccuracy: Double
    public var testTop5: Double
    public var epochSeconds: Double
    public var imagesPerSec: Double
    public var computeSeconds: Double
    public var commSeconds: Double
    public var dataSeconds: Double
    public var evalSeconds: Double?                 // absent from older runs' files
    /// Rank 0's seconds from the end of its backward pass to the moment every rank had reached the
    /// exchange (the stall check's arrival messages, then the strategy's own barrier where it has
    /// one): a measurement on rank 0's clock, not an estimate; comm_seconds is the transfer after it.
    public var waitSeconds: Double?
    /// Seconds the epoch's checkpoints held the loop (gathering the shard counts, the snapshot, and
    /// waiting for the previous background write), every_steps saves included; nil in older runs' files.
    public var checkpointSeconds: Double?
    /// Rank 0's seconds on diagnostics: the per-layer measurements and, after the last epoch, the
    /// confusion, filter and feature-map files; nil in older runs' files.
    public var diagnosticsSeconds: Double?
    /// Rank 0's whole epoch, from the previous epoch's row (or the start of the loop) to this one:
    /// training (epoch_seconds), mid-epoch checkpoints, evaluation, diagnostics, the epoch-end
    /// checkpoint and the bookkeeping between them. A resumed epoch counts the earlier process's
    /// training seconds too, whose split into parts is not known. nil in older runs' files.
    public var wallSeconds: Double?
    /// Rank 0's process age (seconds since it started) when the row was written; nil when unknown.
    public var processSeconds: Double?
    public var rankTrainAccuracy: [Double]
    public var diagnostics: [LayerDiagnostics]
    /// The diagnostics batch size (nil: no diagnostics that epoch).
    public var diagnosticsBatch: Int?
    /// Any other numeric top-level field, by key (read; not written).
    public var extra: [String: Double]

    public init(epoch: Int, step: Int, worldSize: Int, lr: Double, trainLoss: Double, trainAccuracy: Double,
                valLoss: Double?, valAccuracy: Double?, testLoss: Double, testAccuracy: Double, testTop5: Double,
                epochSeconds: Double, imagesPerSec: Double, computeSeconds: Double, commSeconds: Double, dataSeconds: Double,
                evalSeconds: Double?, waitSeconds: Double?, checkpointSeconds: Double? = nil, processSeconds: Double? = nil,
                diagnosticsSeconds: Double? = nil, wallSeconds: Double? = nil, rankTrainAccuracy: [Double],
                diagnostics: [LayerDiagnostics] = [], diagnosticsBatch: Int? = nil, extra: [String: Double] = [:]) {
        self.epoch = epoch; self.step = step; self.worldSize = worldSize; self.lr = lr; self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy; self.valLoss = valLoss; self.valAccuracy = valAccuracy; self.testLoss = testLoss
        self.testAccuracy = testAccuracy; self.testTop5 = testTop5; self.epochSeconds = epochSeconds
        self.imagesPerSec = imagesPerSec; self.computeSeconds = computeSeconds; self.commSeconds = commSeconds
        self.dataSeconds = dataSeconds; self.evalSeconds = evalSeconds; self.waitSeconds = waitSeconds
        self.checkpointSeconds = checkpointSeconds; self.processSeconds = processSeconds
        self.diagnosticsSeconds = diagnosticsSeconds; self.wallSeconds = wallSeconds
        self.rankTrainAccuracy = rankTrainAccuracy; self.diagnostics = diagnostics; self.diagnosticsBatch = diagnosticsBatch
        self.extra = extra
    }

    /// The line of metrics.jsonl (keys in DESIGN.md's order; a non-finite number is null).
    public var jsonLine: String {
        var m = JSONObject()
        m.set("epoch", .int(epoch)); m.set("step", .int(step)); m.set("world_size", .int(worldSize))
        m.set("lr", .double(lr)); m.set("train_loss", .double(trainLoss)); m.set("train_accuracy", .double(trainAccuracy))
        m.set("val_loss", valLoss.map { .double($0) } ?? .null); m.set("val_accuracy", valAccuracy.map { .double($0) } ?? .null)
        m.set("test_loss", .double(testLoss)); m.set("test_accuracy", .double(testAccuracy)); m.set("test_top5", .double(testTop5))
        m.set("epoch_seconds", .double(epochSeconds))
        if let evalSeconds { m.set("eval_seconds", .double(evalSeconds)) }
        m.set("images_per_sec", .double(imagesPerSec)); m.set("compute_seconds", .double(computeSeconds))
        m.set("comm_seconds", .double(commSeconds)); m.set("data_seconds", .double(dataSeconds))
        if let waitSeconds { m.set("wait_seconds", .double(waitSeconds)) }
        if let checkpointSeconds { m.set("checkpoint_seconds", .double(checkpointSeconds)) }
        if let diagnosticsSeconds { m.set("diagnostics_seconds", .double(diagnosticsSeconds)) }
        if let wallSeconds { m.set("wall_seconds", .double(wallSeconds)) }
        if let processSeconds { m.set("process_seconds", .double(processSeconds)) }
        m.set("rank_train_accuracy", .array(rankTrainAccuracy.map { .double($0) }))
        if let diagnosticsBatch {
            var d = JSONObject()
            d.set("batch", .int(diagnosticsBatch))
            d.set("layers", .array(diagnostics.map { layer in
                var e = JSONObject()
                e.set("name", .string(layer.name))
                for (key, value) in layer.values { e.set(key, .double(value)) }
                return .object(e)
            }))
            m.set("diagnostics", .object(d))
        }
        return m.text
    }
}

extension EpochMetrics {
    static let required = ["epoch", "step", "world_size", "lr", "train_loss", "train_accuracy", "test_loss",
                           "test_accuracy", "test_top5", "epoch_seconds", "images_per_sec", "compute_seconds",
                           "comm_seconds", "data_seconds"]

    /// Every epoch of a metrics.jsonl file; a problem is an InputError "<file>:<line>: <what>".
    public static func read(path: String) throws -> [EpochMetrics] {
        try read(path: path, tolerateCutLastLine: false).rows
    }

    /// As `read(path:)`, for a run that may still be written or was killed while writing: the
    /// trainer ends every line with "\n", so a last line without one that does not parse was cut
    /// short. With `tolerateCutLastLine` that line is left out and described in `cutLastLine` (the
    /// epochs before it are kept); every other problem is an InputError "<file>:<line>: <what>".
    public static func read(path: String, tolerateCutLastLine: Bool) throws -> (rows: [EpochMetrics], cutLastLine: String?) {
        guard let data = FileManager.default.contents(atPath: path) else { throw InputError("\(path): cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw InputError("\(path): not UTF-8 text") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let cutLine = text.hasSuffix("\n") ? nil : lines.count - 1      // index of an unterminated last line
        var rows: [EpochMetrics] = []
        for (i, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let at = "\(path):\(i + 1)"
            let parsed = try? JSONSerialization.jsonObject(with: Foundation.Data(trimmed.utf8), options: [.fragmentsAllowed])
            guard let object = parsed as? [String: Any] else {
                if tolerateCutLastLine, i == cutLine {
                    let kept = "\(rows.count) epoch\(rows.count == 1 ? "" : "s") before it read"
                    return (rows, "\(at): last line cut short (no newline; the run was stopped while writing it?), left out; " + kept)
                }
                throw InputError("\(at): not a JSON object (expected one object per line with keys \(required.joined(separator: ", ")))")
            }
            rows.append(try EpochMetrics(object, at: at))
        }
        return (rows, nil)
    }

    /// One parsed line (a JSON object) of metrics.jsonl; `at` is "<file>:<line>" for messages.
    public init(_ o: [String: Any], at: String) throws {
        let required = Self.required
        func optionalNumber(_ v: Any?, key: String, at: String) throws -> Double? { try Self.optionalNumber(v, key: key, at: at) }
        for key in required + ["rank_train_accuracy"] where o[key] == nil {
            throw InputError("\(at): missing key '\(key)'")
        }
        func number(_ key: String) throws -> Double {
            guard let v = try optionalNumber(o[key], key: key, at: at) else { return .nan }
            return v
        }
        func integer(_ key: String) throws -> Int {
            let v = try number(key)
            guard v.isFinite, v == v.rounded(), abs(v) < 1e15 else { throw InputError("\(at): '\(key)' expected an integer") }
            return Int(v)
        }
        guard let ranks = o["rank_train_accuracy"] as? [Any] else {
            throw InputError("\(at): 'rank_train_accuracy' expected a list of numbers")
        }
        var extra: [String: Double] = [:]
        let known = Set(required + ["val_loss", "val_accuracy", "rank_train_accuracy", "diagnostics", "eval_seconds", "wait_seconds",
                              "checkpoint_seconds", "process_seconds", "diagnostics_seconds", "wall_seconds"])
        for (key, value) in o where !known.contains(key) {
            if let v = try? optionalNumber(value, key: key, at: at) { extra[key] = v }
        }
        let diagnostics = try Self.diagnostics(o["diagnostics"], at: at)
        self.init(
            epoch: try integer("epoch"), step: try integer("step"), worldSize: try integer("world_size"),
            lr: try number("lr"), trainLoss: try number("train_loss"), trainAccuracy: try number("train_accuracy"),
            valLoss: try optionalNumber(o["val_loss"], key: "val_loss", at: at),
            valAccuracy: try optionalNumber(o["val_accuracy"], key: "val_accuracy", at: at),
            testLoss: try number("test_loss"), testAccuracy: try number("test_accuracy"), testTop5: try number("test_top5"),
            epochSeconds: try number("epoch_seconds"), imagesPerSec: try number("images_per_sec"),
            computeSeconds: try number("compute_seconds"), commSeconds: try number("comm_seconds"),
            dataSeconds: try number("data_seconds"),
            evalSeconds: try optionalNumber(o["eval_seconds"], key: "eval_seconds", at: at),
            waitSeconds: try optionalNumber(o["wait_seconds"], key: "wait_seconds", at: at),
            checkpointSeconds: try optionalNumber(o["checkpoint_seconds"], key: "checkpoint_seconds", at: at),
            processSeconds: try optionalNumber(o["process_seconds"], key: "process_seconds", at: at),
            diagnosticsSeconds: try optionalNumber(o["diagnostics_seconds"], key: "diagnostics_seconds", at: at),
            wallSeconds: try optionalNumber(o["wall_seconds"], key: "wall_seconds", at: at),
            rankTrainAccuracy: try ranks.map { try optionalNumber($0, key: "rank_train_accuracy", at: at) ?? .nan },
            diagnostics: diagnostics.layers, diagnosticsBatch: diagnostics.batch,
            extra: extra)
    }

    /// `diagnostics: {"batch": N, "layers": [{"name": ..., <metric>: number, ...}, ...]}`; absent or null is empty.
    private static func diagnostics(_ value: Any?, at: String) throws -> (batch: Int?, layers: [LayerDiagnostics]) {
        guard let value, !(value is NSNull) else { return (nil, []) }
        guard let object = value as? [String: Any], let layers = object["layers"] as? [Any] else {
            throw InputError("\(at): 'diagnostics' expected an object with a 'layers' list")
        }
        let batch = (object["batch"] as? NSNumber)?.intValue
        return (batch, try layers.enumerated().map { i, entry in
            guard let layer = entry as? [String: Any], let name = layer["name"] as? String else {
                throw InputError("\(at): diagnostics.layers[\(i)] expected an object with a 'name'")
            }
            var values: [(key: String, value: Double)] = []
            for key in layer.keys.sorted() where key != "name" {
                values.append((key, try optionalNumber(layer[key], key: "diagnostics.layers[\(i)].\(key)", at: at) ?? .nan))
            }
            return LayerDiagnostics(name: name, values: values)
        })
    }

    /// A JSON number as Double, nil for null; anything else (strings, booleans) is an error.
    static func optionalNumber(_ value: Any?, key: String, at: String) throws -> Double? {
        switch value {
        case nil, is NSNull: return nil
        // Linux Foundation hands long decimals over as NSDecimalNumber, whose doubleValue can be
        // off by a few ulps; its text is the number as written, which Double parses exactly.
        case let d as NSDecimalNumber: return Double(d.description) ?? d.doubleValue
        case let d as Double: return d
        case let i as Int: return Double(i)
        case let n as NSNumber: return n.doubleValue
        default: throw InputError("\(at): '\(key)' expected a number or null, got \(String(describing: value!))")
        }
    }
}
