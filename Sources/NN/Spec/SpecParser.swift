// Reads a spec's layer items: a kind word (relu) or a one-key map ({conv: {out: 6, kernel: 5}}),
// blocks (branch, residual) whose paths are layer lists again, and template uses, expanded in place
// (BlockTemplate.swift). Template use is tracked on a stack: a template that uses itself, directly
// or through others, is an error naming the cycle; the expansion as a whole is capped at
// `maxLayers` layers, so no spec can make parsing loop or exhaust memory.

import Core

struct SpecParser {
    let templates: [String: BlockTemplate]
    private var stack: [String] = []
    private var parsed = 0
    static let maxLayers = 100_000

    init(templates: [String: BlockTemplate]) { self.templates = templates }

    /// A path (a block's paths[k], body or shortcut): a non-empty list of layers.
    mutating func parsePath(_ c: ConfigCursor) throws -> [LayerSpec] {
        let items = try c.list()
        guard !items.isEmpty else { throw c.fail("a non-empty list of layers") }
        return try items.map { try parseLayer($0) }
    }

    private mutating func use(_ t: BlockTemplate, _ params: ConfigCursor?, at c: ConfigCursor) throws -> LayerSpec {
        guard !stack.contains(t.name) else {
            throw InputError("\(c.file): \(c.path): cyclic template use: \((stack + [t.name]).joined(separator: " -> "))")
        }
        stack.append(t.name)
        defer { stack.removeLast() }
        return try parseLayer(try t.instantiate(params, at: c.path))
    }

    mutating func parseLayer(_ c: ConfigCursor) throws -> LayerSpec {
        parsed += 1
        guard parsed <= Self.maxLayers else {
            throw InputError("\(c.file): \(c.path): more than \(Self.maxLayers) layers after expanding templates")
        }
        let kindWord: String
        let params: ConfigCursor?
        switch c.value {
        case .scalar(let s):
            kindWord = s; params = nil
        case .map(let entries) where entries.count == 1:
            kindWord = entries[0].key
            params = entries[0].value == .null ? nil : c.child(kindWord, entries[0].value)
        default:
            throw c.fail("a layer: a kind word (relu) or a one-key map ({conv: {out: 6, kernel: 5}})")
        }
        if let template = templates[kindWord] { return try use(template, params, at: c) }
        guard ModelSpec.layerKinds.contains(kindWord) else {
            let named = templates.isEmpty ? "" : "; templates: " + templates.keys.sorted().joined(separator: ", ")
            throw InputError("\(c.file): \(c.path): unknown layer kind '\(kindWord)'\(didYouMean(kindWord, among: ModelSpec.layerKinds + templates.keys.sorted())) (expected one of: \(ModelSpec.layerKinds.joined(separator: ", "))\(named))")
        }
        func keys(_ allowed: [String]) throws -> ConfigMap? {
            guard let params else { return nil }
            return try params.map(allowed: allowed)
        }
        func window(_ m: ConfigMap?) throws -> (kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int)) {
            guard let m else { throw InputError("\(c.file): \(c.path).\(kindWord): missing kernel") }
            let k = try m.required("kernel").intPair()
            let s = try m["stride"]?.intPair() ?? k
            let p = try m["pad"]?.intPair() ?? (0, 0)
            try checkWindow(k, s, p, m)
            return (k, s, p)
        }
        func checkWindow(_ k: (Int, Int), _ s: (Int, Int), _ p: (Int, Int), _ m: ConfigMap) throws {
            guard k.0 > 0, k.1 > 0 else { throw try m.required("kernel").fail("a positive kernel size") }
            if s.0 <= 0 || s.1 <= 0 { throw m["stride"]!.fail("a positive stride") }
            if p.0 < 0 || p.1 < 0 { throw m["pad"]!.fail("a padding >= 0") }
        }
        switch kindWord {
        case "conv":
            guard let m = try keys(["name", "out", "kernel", "stride", "pad", "bias", "groups", "init"]) else {
                throw InputError("\(c.file): \(c.path).conv: missing out and kernel")
            }
            let out = try m.required("out").positiveInt()
            let k = try m.required("kernel").intPair()
            let s = try m["stride"]?.intPair() ?? (1, 1)
            let p = try m["pad"]?.intPair() ?? (0, 0)
            try checkWindow(k, s, p, m)
            return LayerSpec(.conv(out: out, kernel: k, stride: s, pad: p, bias: try m["bias"]?.bool() ?? true,
                                   groups: try m["groups"]?.positiveInt() ?? 1),
                             name: try m["name"]?.string(), initOverride: try m["init"].map(ParameterInit.parse))
        case "linear":
            guard let m = try keys(["name", "out", "bias", "init"]) else {
                throw InputError("\(c.file): \(c.path).linear: missing out")
            }
            return LayerSpec(.linear(out: try m.required("out").positiveInt(), bias: try m["bias"]?.bool() ?? true),
                             name: try m["name"]?.string(), initOverride: try m["init"].map(ParameterInit.parse))
        case "maxpool", "avgpool":
            let m = try keys(kindWord == "maxpool" ? ["name", "kernel", "stride", "pad", "ceil"] : ["name", "kernel", "stride", "pad"])
            let w = try window(m)
            let kind: LayerSpec.Kind = kindWord == "maxpool"
                ? .maxpool(kernel: w.kernel, stride: w.stride, pad: w.pad, ceil: try m?["ceil"]?.bool() ?? false)
                : .avgpool(kernel: w.kernel, stride: w.stride, pad: w.pad)
            return LayerSpec(kind, name: try m?["name"]?.string())
        case "leakyrelu":
            let m = try keys(["name", "slope"])
            return LayerSpec(.leakyrelu(slope: Float(try m?["slope"]?.double() ?? 0.01)), name: try m?["name"]?.string())
        case "dropout":
            let m = try keys(["name", "p"])
            let p = try m?["p"]?.double() ?? 0.5
            guard (0..<1).contains(p) else { throw m!["p"]!.fail("a probability in [0, 1)") }
            return LayerSpec(.dropout(p: Float(p)), name: try m?["name"]?.string())
        case "batchnorm":
            let m = try keys(["name", "eps", "momentum", "sync"])
            let eps = try m?["eps"]?.double() ?? 1e-5
            guard eps > 0 else { throw m!["eps"]!.fail("a positive eps") }
            let momentum = try m?["momentum"]?.double() ?? 0.1
            guard (0...1).contains(momentum) else { throw m!["momentum"]!.fail("a momentum in [0, 1]") }
            return LayerSpec(.batchnorm(eps: Float(eps), momentum: Float(momentum), sync: try m?["sync"]?.bool() ?? true),
                             name: try m?["name"]?.string())
        case "branch":
            guard let m = try keys(["name", "paths"]) else { throw InputError("\(c.file): \(c.path).branch: missing paths") }
            let paths = try m.required("paths").list()
            guard !paths.isEmpty else { throw try m.required("paths").fail("at least one path") }
            return LayerSpec(.branch(paths: try paths.map { try parsePath($0) }), name: try m["name"]?.string())
        case "residual":
            guard let m = try keys(["name", "body", "shortcut"]) else { throw InputError("\(c.file): \(c.path).residual: missing body") }
            return LayerSpec(.residual(body: try parsePath(try m.required("body")), shortcut: try m["shortcut"].map { try parsePath($0) }),
                             name: try m["name"]?.string())
        case "lrn":
            let m = try keys(["name", "size", "alpha", "beta", "k"])
            let size = try m?["size"]?.positiveInt() ?? 5
            return LayerSpec(.lrn(size: size, alpha: Float(try m?["alpha"]?.double() ?? 1e-4),
                                  beta: Float(try m?["beta"]?.double() ?? 0.75), k: Float(try m?["k"]?.double() ?? 2)),
                             name: try m?["name"]?.string())
        default:
            let m = try keys(["name"])
            let kind: LayerSpec.Kind = ["relu": .relu, "sigmoid": .sigmoid, "tanh": .tanh, "flatten": .flatten,
                                        "globalavgpool": .globalavgpool][kindWord]!
            return LayerSpec(kind, name: try m?["name"]?.string())
        }
    }
}
