// The model spec (DESIGN.md "Model spec"): a YAML file naming the input shape, the default
// initialisation and the list of layers. Parsing checks every key; `plan()` then infers every
// layer's shapes and parameter shapes without allocating anything, so a spec that cannot work
// fails before any compute with the file, the layer and the shapes in the message.

import Core
import Foundation

public struct ModelSpec: Equatable, Sendable {
    public var name: String
    public var input: Shape
    public var initPreset: InitPreset
    public var layers: [LayerSpec]
    public var source: String              // file the spec came from (for messages)

    public init(name: String, input: Shape, initPreset: InitPreset, layers: [LayerSpec], source: String) {
        self.name = name; self.input = input; self.initPreset = initPreset; self.layers = layers; self.source = source
    }
}

public struct LayerSpec: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// groups: in and out channels split into that many independent halves (weight [out, in/groups, kh, kw])
        case conv(out: Int, kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int), bias: Bool, groups: Int = 1)
        case linear(out: Int, bias: Bool)
        /// ceil: PyTorch's ceil_mode (output size rounded up; the last window starts inside the input or left pad)
        case maxpool(kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int), ceil: Bool = false)
        case avgpool(kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int))
        case relu, sigmoid, tanh, flatten
        case globalavgpool                                   // N,C,H,W -> N,C,1,1 (mean over each plane)
        case leakyrelu(slope: Float)
        case dropout(p: Float)
        case lrn(size: Int, alpha: Float, beta: Float, k: Float)

        public static func == (a: Kind, b: Kind) -> Bool { "\(a)" == "\(b)" }

        public var word: String {
            switch self {
            case .conv: return "conv"
            case .linear: return "linear"
            case .maxpool: return "maxpool"
            case .avgpool: return "avgpool"
            case .relu: return "relu"
            case .sigmoid: return "sigmoid"
            case .tanh: return "tanh"
            case .flatten: return "flatten"
            case .globalavgpool: return "globalavgpool"
            case .leakyrelu: return "leakyrelu"
            case .dropout: return "dropout"
            case .lrn: return "lrn"
            }
        }
    }
    public var kind: Kind
    public var name: String?
    public var initOverride: ParameterInit?
    public init(_ kind: Kind, name: String? = nil, initOverride: ParameterInit? = nil) {
        self.kind = kind; self.name = name; self.initOverride = initOverride
    }
}

extension ModelSpec {
    public static let layerKinds = ["conv", "linear", "maxpool", "avgpool", "relu", "sigmoid", "tanh",
                                    "flatten", "leakyrelu", "dropout", "lrn", "globalavgpool"]

    public static func load(path: String) throws -> ModelSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): cannot read the model spec (no such file or not readable)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw InputError("\(path): not UTF-8 text") }
        return try parse(ConfigCursor(try ConfigValue.parse(yaml: text, file: path), file: path))
    }

    public static func parse(yaml: String, file: String = "<spec>") throws -> ModelSpec {
        try parse(ConfigCursor(try ConfigValue.parse(yaml: yaml, file: file), file: file))
    }

    /// Parses a spec from a located YAML value (a file, or the inline `model:` of a run config).
    public static func parse(_ c: ConfigCursor) throws -> ModelSpec {
        let m = try c.map(allowed: ["name", "input", "init", "layers"])
        let name = try m["name"]?.string() ?? URL(fileURLWithPath: c.file).deletingPathExtension().lastPathComponent
        let inputCursor = try m.required("input")
        let dims = try inputCursor.list().map { try $0.positiveInt() }
        guard dims.count == 3 else { throw inputCursor.fail("[C, H, W], three positive integers") }
        let preset = try m["init"].map(InitPreset.parse) ?? .pytorch
        let layerCursors = try m.required("layers").list()
        guard !layerCursors.isEmpty else { throw InputError("\(c.file): layers: expected at least one layer") }
        let layers = try layerCursors.map(parseLayer)
        return ModelSpec(name: name, input: Shape(dims[0], dims[1], dims[2]), initPreset: preset, layers: layers, source: c.file)
    }

    private static func parseLayer(_ c: ConfigCursor) throws -> LayerSpec {
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
        guard layerKinds.contains(kindWord) else {
            throw InputError("\(c.file): \(c.path): unknown layer kind '\(kindWord)' (expected one of: \(layerKinds.joined(separator: ", ")))")
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
