// Block templates: a model spec's `templates:` names reusable layers or blocks with parameters, so
// GoogLeNet's nine inception modules are written once (README, "Block templates"):
//
//   templates:
//     inception:
//       params: [c1, c3r, c3, c5r, c5, pool]      # every parameter must be given at each use
//       block:                                     # one layer or block; `$name` scalars are replaced
//         branch:
//           paths:
//             - [{conv: {out: $c1, kernel: 1}}, relu]
//             ...
//   layers:
//     - inception: {name: inception3a, c1: 64, c3r: 96, c3: 128, c5r: 16, c5: 32, pool: 32}
//
// A use is a layer item whose kind word is the template's name; its `name` names the block. A
// template's block may use other templates; a cycle is an error naming it (SpecParser).

import Core

public struct BlockTemplate {
    public var name: String
    public var params: [String]
    public var block: ConfigCursor

    /// Reads the `templates:` map (name -> {params, block}).
    static func parseAll(_ c: ConfigCursor) throws -> [String: BlockTemplate] {
        guard case .map(let entries) = c.value else { throw c.fail("a map of template names to {params, block}") }
        var result: [String: BlockTemplate] = [:]
        for e in entries {
            let t = c.child(e.key, e.value)
            guard !ModelSpec.layerKinds.contains(e.key) else {
                throw t.fail("a template name that is not a layer kind ('\(e.key)' is one)")
            }
            let m = try t.map(allowed: ["params", "block"])
            let params = try m["params"]?.list().map { try $0.string() } ?? []
            if let twice = params.first(where: { p in params.filter { $0 == p }.count > 1 }) {
                throw try m.required("params").fail("distinct parameter names ('\(twice)' is listed twice)")
            }
            if params.contains("name") { throw try m.required("params").fail("parameter names other than 'name' (it names the block)") }
            result[e.key] = BlockTemplate(name: e.key, params: params, block: try m.required("block"))
        }
        return result
    }

    /// The template's block with every `$param` scalar replaced by the use's value, and the use's
    /// `name` (when given) set as the block's name. `use` is the use's map of parameter values.
    func instantiate(_ use: ConfigCursor?, at: String) throws -> ConfigCursor {
        var values: [String: ConfigValue] = [:]
        var blockName: ConfigValue?
        if let use {
            guard case .map(let entries) = use.value else { throw use.fail("a map of the template's parameters: \(params.joined(separator: ", "))") }
            for e in entries {
                if e.key == "name" { blockName = e.value; continue }
                guard params.contains(e.key) else {
                    throw InputError("\(use.file): \(at): template '\(name)' has no parameter '\(e.key)' (expected: \(params.joined(separator: ", ")))")
                }
                values[e.key] = e.value
            }
        }
        if let missing = params.first(where: { values[$0] == nil }) {
            throw InputError("\(block.file): \(at): template '\(name)' needs parameter '\(missing)' (expected: \(params.joined(separator: ", ")))")
        }
        var expanded = try substitute(block.value, values, at: at)
        if let blockName { expanded = try named(expanded, blockName, at: at) }
        return ConfigCursor(expanded, file: block.file, path: at)
    }

    private func substitute(_ v: ConfigValue, _ values: [String: ConfigValue], at: String) throws -> ConfigValue {
        switch v {
        case .null: return v
        case .scalar(let s):
            guard s.hasPrefix("$") else { return v }
            let key = String(s.dropFirst())
            guard let value = values[key] else {
                throw InputError("\(block.file): templates.\(name): '\(s)' is not one of its params (\(params.joined(separator: ", "))), used at \(at)")
            }
            return value
        case .list(let items): return .list(try items.map { try substitute($0, values, at: at) })
        case .map(let entries):
            return .map(try entries.map { ConfigValue.Entry($0.key, try substitute($0.value, values, at: at)) })
        }
    }

    /// Sets `name` inside a one-key layer map ({branch: {...}} -> {branch: {name: N, ...}}).
    private func named(_ v: ConfigValue, _ blockName: ConfigValue, at: String) throws -> ConfigValue {
        switch v {
        case .map(let entries) where entries.count == 1:
            let kind = entries[0].key
            var inner: [ConfigValue.Entry] = []
            if case .map(let e) = entries[0].value { inner = e.filter { $0.key != "name" } }
            else if entries[0].value != .null {
                throw InputError("\(block.file): templates.\(name).block: expected {\(kind): {...}} to take the use's name")
            }
            return .map([ConfigValue.Entry(kind, .map([ConfigValue.Entry("name", blockName)] + inner))])
        case .scalar(let kind):
            return .map([ConfigValue.Entry(kind, .map([ConfigValue.Entry("name", blockName)]))])
        default:
            throw InputError("\(block.file): templates.\(name).block: expected one layer or block to take the use's name")
        }
    }
}
