// One run folder read into typed arrays: the per-epoch rows of metrics.jsonl, the per-step rows
// of steps.csv, and the optional confusion.json / filters.json / features.json beside them.
// Parsing lives in EpochMetrics (Core/Records) and StepsReader; this file is the shape and the folder logic.

import Core
import Foundation
import NN

/// One row of steps.csv.
public struct StepRow: Equatable {
    public var step: Int
    public var epoch: Int
    public var trainLoss: Double
    public var lr: Double

    public init(step: Int, epoch: Int, trainLoss: Double, lr: Double) {
        self.step = step
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.lr = lr
    }
}

public struct RunRecord {
    public var name: String                  // the variant: the folder's last path component
    public var folder: String
    public var epochs: [EpochMetrics]
    public var steps: [StepRow]
    public var confusion: ConfusionRecord?
    public var filters: ImageGridRecord?
    public var features: ImageGridRecord?

    /// Reads `folder`: metrics.jsonl is required; steps.csv and the JSON artefacts are read when
    /// present. Every parse error is an InputError naming the file (and the line).
    public static func load(folder: String, name: String? = nil) throws -> RunRecord {
        let fm = FileManager.default
        let metrics = folder + "/metrics.jsonl"
        guard fm.fileExists(atPath: metrics) else { throw InputError("\(metrics): not found (expected one JSON object per epoch)") }
        func optional<T>(_ file: String, _ read: (String) throws -> T) throws -> T? {
            fm.fileExists(atPath: folder + "/" + file) ? try read(folder + "/" + file) : nil
        }
        return RunRecord(
            name: name ?? URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent,
            folder: folder,
            epochs: try EpochMetrics.read(path: metrics),
            steps: try optional("steps.csv") { try StepsReader.read(path: $0) } ?? [],
            confusion: try optional("confusion.json") { try ConfusionRecord.load(path: $0) },
            filters: try optional("filters.json") { try ImageGridRecord.load(path: $0) },
            features: try optional("features.json") { try ImageGridRecord.load(path: $0) })
    }

    /// The runs in `folder`: the folder itself when metrics.jsonl is directly inside it, else
    /// every subfolder holding one (an experiment: one variant per subfolder), in natural order
    /// (np2 before np16).
    public static func loadAll(folder: String) throws -> [RunRecord] {
        let fm = FileManager.default
        if fm.fileExists(atPath: folder + "/metrics.jsonl") { return [try load(folder: folder)] }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw InputError("\(folder): not a folder (expected a run folder or an experiment folder)")
        }
        let names = try fm.contentsOfDirectory(atPath: folder)
            .filter { fm.fileExists(atPath: folder + "/" + $0 + "/metrics.jsonl") }
            .sorted(by: naturalOrder)
        guard !names.isEmpty else {
            throw InputError("\(folder): no metrics.jsonl in it or in any subfolder (expected a run or experiment folder)")
        }
        return try names.map { try load(folder: folder + "/" + $0, name: $0) }
    }
}

/// "a2" < "a10": digit runs compare as numbers, everything else character by character.
func naturalOrder(_ a: String, _ b: String) -> Bool {
    func chunks(_ s: String) -> [(String, Int?)] {
        var out: [(String, Int?)] = [], cur = "", digits = false
        for c in s {
            if !cur.isEmpty, c.isNumber != digits { out.append((cur, digits ? Int(cur) : nil)); cur = "" }
            digits = c.isNumber; cur.append(c)
        }
        if !cur.isEmpty { out.append((cur, digits ? Int(cur) : nil)) }
        return out
    }
    for (x, y) in zip(chunks(a), chunks(b)) where x.0 != y.0 {
        if let nx = x.1, let ny = y.1, nx != ny { return nx < ny }
        return x.0 < y.0
    }
    return a.count < b.count
}
