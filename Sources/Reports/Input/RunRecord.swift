// One run folder read into typed arrays: the per-epoch rows of metrics.jsonl, the per-step rows
// of steps.csv, and the optional confusion.json / filters.json / features.json beside them.
// Parsing lives in EpochMetrics (Core/Records) and StepsReader; this file is the
// shape and the folder logic, including what a report may leave out of a damaged folder.

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

    public init(name: String, folder: String, epochs: [EpochMetrics], steps: [StepRow] = [], confusion: ConfusionRecord? = nil,
                filters: ImageGridRecord? = nil, features: ImageGridRecord? = nil) {
        self.name = name
        self.folder = folder
        self.epochs = epochs
        self.steps = steps
        self.confusion = confusion
        self.filters = filters
        self.features = features
    }

    /// Reads `folder`: metrics.jsonl is required; steps.csv and the JSON artefacts are read when
    /// present. Every parse error is an InputError naming the file (and the line).
    ///
    /// With `onSkip`, what a report can do without is left out and described to it instead (one
    /// line each): a last line of metrics.jsonl or steps.csv cut short, and a steps.csv or JSON
    /// artefact that cannot be read; a run left with no complete epoch is then an InputError.
    public static func load(folder: String, name: String? = nil, onSkip: ((String) -> Void)? = nil) throws -> RunRecord {
        let fm = FileManager.default
        let metrics = folder + "/metrics.jsonl"
        guard fm.fileExists(atPath: metrics) else { throw InputError("\(metrics): not found (expected one JSON object per epoch)") }
        func optional<T>(_ file: String, _ read: (String) throws -> T) throws -> T? {
            guard fm.fileExists(atPath: folder + "/" + file) else { return nil }
            guard let onSkip else { return try read(folder + "/" + file) }
            do {
                return try read(folder + "/" + file)
            } catch {
                onSkip("\((error as? InputError)?.message ?? "\(folder)/\(file): \(error)"); left out")
                return nil
            }
        }
        let (epochs, cut) = try EpochMetrics.read(path: metrics, tolerateCutLastLine: onSkip != nil)
        if let cut { onSkip?(cut) }
        if epochs.isEmpty, onSkip != nil { throw InputError("\(metrics): no complete epoch (expected one JSON object per epoch)") }
        let steps = try optional("steps.csv") { path -> [StepRow] in
            let (rows, cut) = try StepsReader.read(path: path, tolerateCutLastLine: onSkip != nil)
            if let cut { onSkip?(cut) }
            return rows
        }
        return RunRecord(
            name: name ?? URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent,
            folder: folder,
            epochs: epochs,
            steps: steps ?? [],
            confusion: try optional("confusion.json") { try ConfusionRecord.load(path: $0) },
            filters: try optional("filters.json") { try ImageGridRecord.load(path: $0) },
            features: try optional("features.json") { try ImageGridRecord.load(path: $0) })
    }

    /// The runs in `folder`: the folder itself when metrics.jsonl is directly inside it, else
    /// every subfolder holding one (an experiment: one variant per subfolder), in natural order
    /// (np2 before np16).
    ///
    /// With `onSkip`, a run that cannot be read is left out and described to it (one line), as is
    /// a subfolder that looks like a run but has no metrics.jsonl (see looksLikeRun: a variant
    /// that never finished an epoch); what each run can do without, see `load`. An InputError
    /// only when no run is left.
    public static func loadAll(folder: String, onSkip: ((String) -> Void)? = nil) throws -> [RunRecord] {
        let fm = FileManager.default
        if fm.fileExists(atPath: folder + "/metrics.jsonl") { return [try load(folder: folder, onSkip: onSkip)] }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw InputError("\(folder): not a folder (expected a run folder or an experiment folder)")
        }
        let entries: [String]
        do {
            entries = try fm.contentsOfDirectory(atPath: folder).sorted(by: naturalOrder)
        } catch {
            throw InputError("\(folder): cannot be listed (\(error.localizedDescription))")
        }
        var runs: [RunRecord] = []
        for name in entries {
            let path = folder + "/" + name
            guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { continue }
            guard fm.fileExists(atPath: path + "/metrics.jsonl") else {
                if !name.hasPrefix("."), looksLikeRun(path) {
                    onSkip?("\(path): no metrics.jsonl (a run that never finished an epoch?), left out")
                }
                continue
            }
            guard let onSkip else { runs.append(try load(folder: path, name: name)); continue }
            do {
                runs.append(try load(folder: path, name: name, onSkip: onSkip))
            } catch let error as InputError {
                onSkip(error.message + "; run \(name) left out")
            }
        }
        guard !runs.isEmpty else {
            throw InputError("\(folder): no usable run: no metrics.jsonl with a complete epoch in it or in any subfolder "
                + "(expected a run or experiment folder)")
        }
        return runs
    }
}

/// True for a folder a variant's run would leave before its first epoch line: empty (created,
/// then the run failed), or holding steps.csv or a checkpoint. Other folders beside the runs
/// (read-digits/, pictures) are not runs and are passed over silently.
private func looksLikeRun(_ path: String) -> Bool {
    guard let files = try? FileManager.default.contentsOfDirectory(atPath: path) else { return false }
    return files.isEmpty || files.contains { $0 == "steps.csv" || $0.hasSuffix(".safetensors") }
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
