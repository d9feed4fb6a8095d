// metrics.jsonl -> [EpochMetrics] through JSONSerialization, one object per non-blank line.
// Every problem is an InputError "<file>:<line>: <what>" so the bad line can be found.

import Core
import Foundation
import NN

enum MetricsReader {
    static let required = ["epoch", "step", "world_size", "lr", "train_loss", "train_accuracy", "test_loss",
                           "test_accuracy", "test_top5", "epoch_seconds", "images_per_sec", "compute_seconds",
                           "comm_seconds", "data_seconds"]

    static func read(path: String) throws -> [EpochMetrics] {
        guard let data = FileManager.default.contents(atPath: path) else { throw InputError("\(path): cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw InputError("\(path): not UTF-8 text") }
        var rows: [EpochMetrics] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let at = "\(path):\(i + 1)"
            let parsed = try? JSONSerialization.jsonObject(with: Foundation.Data(trimmed.utf8), options: [.fragmentsAllowed])
            guard let object = parsed as? [String: Any] else {
                throw InputError("\(at): not a JSON object (expected one object per line with keys \(required.joined(separator: ", ")))")
            }
            rows.append(try epoch(object, at: at))
        }
        return rows
    }

    private static func epoch(_ o: [String: Any], at: String) throws -> EpochMetrics {
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
        let known = Set(required + ["val_loss", "val_accuracy", "rank_train_accuracy", "diagnostics"])
        for (key, value) in o where !known.contains(key) {
            if let v = try? optionalNumber(value, key: key, at: at) { extra[key] = v }
        }
        return EpochMetrics(
            epoch: try integer("epoch"), step: try integer("step"), worldSize: try integer("world_size"),
            lr: try number("lr"), trainLoss: try number("train_loss"), trainAccuracy: try number("train_accuracy"),
            valLoss: try optionalNumber(o["val_loss"], key: "val_loss", at: at),
            valAccuracy: try optionalNumber(o["val_accuracy"], key: "val_accuracy", at: at),
            testLoss: try number("test_loss"), testAccuracy: try number("test_accuracy"), testTop5: try number("test_top5"),
            epochSeconds: try number("epoch_seconds"), imagesPerSec: try number("images_per_sec"),
            computeSeconds: try number("compute_seconds"), commSeconds: try number("comm_seconds"),
            dataSeconds: try number("data_seconds"),
            rankTrainAccuracy: try ranks.map { try optionalNumber($0, key: "rank_train_accuracy", at: at) ?? .nan },
            diagnostics: try diagnostics(o["diagnostics"], at: at),
            extra: extra)
    }

    /// `diagnostics: {"layers": [{"name": ..., <metric>: number, ...}, ...]}`; absent or null is empty.
    private static func diagnostics(_ value: Any?, at: String) throws -> [LayerDiagnostics] {
        guard let value, !(value is NSNull) else { return [] }
        guard let object = value as? [String: Any], let layers = object["layers"] as? [Any] else {
            throw InputError("\(at): 'diagnostics' expected an object with a 'layers' list")
        }
        return try layers.enumerated().map { i, entry in
            guard let layer = entry as? [String: Any], let name = layer["name"] as? String else {
                throw InputError("\(at): diagnostics.layers[\(i)] expected an object with a 'name'")
            }
            var values: [(key: String, value: Double)] = []
            for key in layer.keys.sorted() where key != "name" {
                values.append((key, try optionalNumber(layer[key], key: "diagnostics.layers[\(i)].\(key)", at: at) ?? .nan))
            }
            return LayerDiagnostics(name: name, values: values)
        }
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
