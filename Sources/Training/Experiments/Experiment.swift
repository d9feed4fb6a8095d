// An experiment file (configs/experiments/*.yaml): a base run config, overrides shared by every
// variant, named variants (each a map of dotted keys to values) and an optional grid crossed with
// them. Each variant is a full data-parallel run at the current world size into
// <output>/<variant>/; `dtrain experiment` then writes the report over all of them.
//
//   base: ../lenet5.yaml            # run config, relative to this file
//   output: runs/activations
//   set: {train.epochs: 3}          # every variant
//   variants: {relu: {}, sigmoid: {model: models/lenet5-sigmoid.yaml}}
//   grid: {train.batch_size: [5, 64]}

import Core
import Foundation
import NN

public struct Experiment {
    public struct Variant {
        public var name: String
        public var overrides: [String]       // "key=value", after the shared ones
    }
    public var name: String
    public var base: String                  // path of the base run config
    public var output: String
    public var shared: [String]
    public var variants: [Variant]

    public static func load(path: String) throws -> Experiment {
        guard let bytes = FileManager.default.contents(atPath: path), let text = String(data: bytes, encoding: .utf8) else {
            throw InputError("\(path): cannot read the experiment file")
        }
        let root = ConfigCursor(try ConfigValue.parse(yaml: text, file: path), file: path)
        let m = try root.map(allowed: ["name", "base", "output", "set", "variants", "grid"])
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let baseRel = try m.required("base").string()
        let base = baseRel.hasPrefix("/") ? baseRel : folder.appendingPathComponent(baseRel).path
        let name = try m["name"]?.string() ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let output = try m["output"]?.string() ?? "runs/\(name)"
        let shared = try m["set"].map(overrides) ?? []
        var variants: [Variant] = []
        if let v = m["variants"] {
            guard case .map(let entries) = v.value, !entries.isEmpty else { throw v.fail("a map of variant names to overrides") }
            for e in entries {
                try checkName(e.key, v)
                variants.append(Variant(name: e.key, overrides: e.value == .null ? [] : try overrides(v.child(e.key, e.value))))
            }
        } else {
            variants = [Variant(name: "base", overrides: [])]
        }
        if let g = m["grid"] {
            guard case .map(let axes) = g.value, !axes.isEmpty else { throw g.fail("a map of keys to lists of values") }
            for axis in axes {
                let values = try g.child(axis.key, axis.value).list()
                guard !values.isEmpty else { throw g.child(axis.key, axis.value).fail("a non-empty list") }
                let short = axis.key.split(separator: ".").last.map(String.init) ?? axis.key
                variants = variants.flatMap { v in
                    values.map { c in
                        let text = c.value.inlineYAML
                        let label = (variants.count == 1 && v.name == "base" ? "" : v.name + "_") + "\(short)=\(text)"
                        return Variant(name: label, overrides: v.overrides + ["\(axis.key)=\(text)"])
                    }
                }
            }
        }
        return Experiment(name: name, base: base, output: output, shared: shared, variants: variants)
    }

    private static func overrides(_ c: ConfigCursor) throws -> [String] {
        guard case .map(let entries) = c.value else { throw c.fail("a map of dotted keys to values, e.g. {train.lr: 0.1}") }
        return entries.map { "\($0.key)=\($0.value.inlineYAML)" }
    }

    private static func checkName(_ name: String, _ c: ConfigCursor) throws {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.=".contains($0) }) else {
            throw InputError("\(c.file): \(c.path).\(name): variant names may use letters, digits, - _ . = only (they name folders)")
        }
    }

    /// The run config of one variant (shared overrides, then the variant's, then its output).
    public func config(for variant: Variant, extra: [String] = []) throws -> RunConfig {
        try RunConfig.load(path: base, overrides: shared + variant.overrides + extra + ["output=\(output)/\(variant.name)"])
    }
}
