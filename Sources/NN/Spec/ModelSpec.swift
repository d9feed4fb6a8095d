// The model spec (DESIGN.md "Model spec" and "Graph blocks"): a YAML file naming the input shape,
// the default initialisation, optional block templates and the list of layers, which may hold
// blocks (branch: paths concatenated on channels; residual: body + shortcut) that nest. Parsing
// checks every key and expands templates (SpecParser.swift); NetworkPlan then infers every layer's
// shapes and parameter shapes without allocating anything, so a spec that cannot work fails
// before any compute with the file, the layer's path and the shapes in the message.

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
        /// PyTorch's BatchNorm2d (BatchNorm1d on a flat input); sync: statistics over the global batch
        case batchnorm(eps: Float, momentum: Float, sync: Bool)
        /// paths over the same input, each a non-empty layer list, concatenated on channels in order
        case branch(paths: [[LayerSpec]])
        /// y = body(x) + shortcut(x); no shortcut: the identity
        case residual(body: [LayerSpec], shortcut: [LayerSpec]?)

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
            case .batchnorm: return "batchnorm"
            case .branch: return "branch"
            case .residual: return "residual"
            }
        }
        /// The default-name prefix: conv1, fc2, bn1, block3 (counters run per path).
        public var namePrefix: String {
            switch self {
            case .linear: return "fc"
            case .batchnorm: return "bn"
            case .branch, .residual: return "block"
            default: return word
            }
        }
        public var isBlock: Bool {
            switch self {
            case .branch, .residual: return true
            default: return false
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
    /// Makes `preset` the initialisation of every conv and linear layer: the model's default
    /// becomes `preset` and every per-layer `init:` (in blocks too) is dropped. A run config's
    /// `init:` does this, so an experiment's variant means what it says (all zeros is all zeros).
    /// Batch norm keeps gamma 1, beta 0.
    public mutating func initialiseEveryLayer(with preset: InitPreset) {
        func strip(_ items: [LayerSpec]) -> [LayerSpec] {
            items.map { item in
                var item = item
                item.initOverride = nil
                switch item.kind {
                case .branch(let paths): item.kind = .branch(paths: paths.map(strip))
                case .residual(let body, let shortcut): item.kind = .residual(body: strip(body), shortcut: shortcut.map(strip))
                default: break
                }
                return item
            }
        }
        initPreset = preset
        layers = strip(layers)
    }

    public static let layerKinds = ["conv", "linear", "maxpool", "avgpool", "relu", "sigmoid", "tanh",
                                    "flatten", "leakyrelu", "dropout", "lrn", "globalavgpool", "batchnorm",
                                    "branch", "residual"]

    public static func load(path: String) throws -> ModelSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): cannot read the model spec (no such file or not readable)")
        }
        if FileSniff.isSafeTensors(data) {
            throw InputError("\(path): is \(safeTensorsDescription); expected a model spec (configs/models/*.yaml)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw InputError("\(path): not UTF-8 text") }
        let document = try ConfigValue.parse(yaml: text, file: path)
        let kind = YAMLDocumentKind(document)
        guard kind == .modelSpec || kind == .other else {
            throw InputError("\(path): is \(kind.described), not a model spec (configs/models/*.yaml)")
        }
        return try parse(ConfigCursor(document, file: path))
    }

    public static func parse(yaml: String, file: String = "<spec>") throws -> ModelSpec {
        try parse(ConfigCursor(try ConfigValue.parse(yaml: yaml, file: file), file: file))
    }

    /// Parses a spec from a located YAML value (a file, or the inline `model:` of a run config).
    public static func parse(_ c: ConfigCursor) throws -> ModelSpec {
        let m = try c.map(allowed: ["name", "input", "init", "templates", "layers"])
        let name = try m["name"]?.string() ?? URL(fileURLWithPath: c.file).deletingPathExtension().lastPathComponent
        let inputCursor = try m.required("input")
        let dims = try inputCursor.list().map { try $0.positiveInt() }
        guard dims.count == 3 else { throw inputCursor.fail("[C, H, W], three positive integers") }
        let preset = try m["init"].map(InitPreset.parse) ?? .pytorch
        var parser = SpecParser(templates: try m["templates"].map(BlockTemplate.parseAll) ?? [:])
        let layerCursors = try m.required("layers").list()
        guard !layerCursors.isEmpty else { throw InputError("\(c.file): layers: expected at least one layer") }
        let layers = try layerCursors.map { try parser.parseLayer($0) }
        return ModelSpec(name: name, input: Shape(dims[0], dims[1], dims[2]), initPreset: preset, layers: layers, source: c.file)
    }
}
