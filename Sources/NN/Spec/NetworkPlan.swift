// Shape inference: a ModelSpec becomes a list of planned layers with input/output shapes,
// parameter shapes and resolved initialisers, before anything is allocated. Every way a spec can
// fail to fit its input (kernel larger than the padded input, output size < 1, conv after
// flatten, linear on an unflattened input, duplicate names) is an InputError here.

import Core

public struct PlannedLayer: Equatable, Sendable {
    public var index: Int
    public var name: String               // conv1, fc2, relu3, ...
    public var spec: LayerSpec
    public var input: Shape
    public var output: Shape
    public var weightShape: [Int]?        // conv [out, in/groups, kh, kw], linear [out, in]
    public var biasShape: [Int]?
    public var weightInit: Initializer
    public var biasInit: Initializer

    public var weights: Int { weightShape?.reduce(1, *) ?? 0 }
    public var biases: Int { biasShape?.reduce(1, *) ?? 0 }
    public var params: Int { weights + biases }
    /// torchsummary's type name: Conv2d, Linear, ReLU, MaxPool2d, ...
    public var typeName: String {
        switch spec.kind {
        case .conv: return "Conv2d"
        case .linear: return "Linear"
        case .maxpool: return "MaxPool2d"
        case .avgpool: return "AvgPool2d"
        case .relu: return "ReLU"
        case .sigmoid: return "Sigmoid"
        case .tanh: return "Tanh"
        case .flatten: return "Flatten"
        case .globalavgpool: return "AdaptiveAvgPool2d"
        case .leakyrelu: return "LeakyReLU"
        case .dropout: return "Dropout"
        case .lrn: return "LocalResponseNorm"
        }
    }
    /// fan_in and fan_out of the weight (for initialisers; PyTorch's: a grouped conv's fan_in is
    /// in/groups x kh x kw, its fan_out out x kh x kw).
    public var fans: (fanIn: Int, fanOut: Int) {
        guard let w = weightShape else { return (1, 1) }
        let receptive = w.dropFirst(2).reduce(1, *)
        return (w[1] * receptive, w[0] * receptive)
    }
}

/// The most elements one sample's activation, one parameter tensor or the whole model may have (and
/// the largest kernel, stride or pad): GEMM and MPI take 32-bit counts, and the shape arithmetic
/// must not overflow. `what` names the place in the message.
private func checkedCount(_ dims: [Int], _ what: @autoclosure () -> String) throws -> Int {
    let limit = Int(Int32.max)
    var n = 1
    for d in dims {
        let (p, overflow) = n.multipliedReportingOverflow(by: d)
        guard d <= limit, !overflow, p <= limit else {
            throw InputError("\(what()) \(dims.map(String.init).joined(separator: "x")) is too large: expected at most \(limit) (dtrain uses 32-bit counts)")
        }
        n = p
    }
    return n
}

public struct NetworkPlan: Equatable, Sendable {
    public var spec: ModelSpec
    public var layers: [PlannedLayer]
    public var input: Shape { spec.input }
    public var output: Shape { layers.last!.output }
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.params } }
    public var classes: Int { output.count }

    /// Infers shapes. `input` overrides the spec's input shape (summary --input).
    public init(_ spec: ModelSpec, input: Shape? = nil) throws {
        var spec = spec
        if let input { spec.input = input }
        self.spec = spec
        var shape = spec.input
        _ = try checkedCount(shape.dims, "\(spec.source): input")
        var total = 0                         // parameters so far
        var counters: [String: Int] = [:]
        var names = Set<String>()
        var planned: [PlannedLayer] = []
        let lastLinear = spec.layers.lastIndex { if case .linear = $0.kind { return true } else { return false } }
        for (i, layer) in spec.layers.enumerated() {
            let word = layer.kind.word
            let prefix = word == "linear" ? "fc" : word
            counters[prefix, default: 0] += 1
            let name = layer.name ?? "\(prefix)\(counters[prefix]!)"
            let at = "\(spec.source): layers[\(i)] (\(name))"
            guard names.insert(name).inserted else { throw InputError("\(at): the name '\(name)' is used twice") }
            func spatial() throws {
                if shape.isFlat { throw InputError("\(at): \(word) needs a [C, H, W] input, got \(shape) (after flatten)") }
            }
            func window(_ k: (Int, Int), _ s: (Int, Int), _ p: (Int, Int), pool: Bool, ceil: Bool = false) throws -> (Int, Int) {
                try spatial()
                for v in [k.0, k.1, s.0, s.1, p.0, p.1] { _ = try checkedCount([v], "\(at): kernel, stride or pad") }
                if pool, p.0 * 2 > k.0 || p.1 * 2 > k.1 {
                    throw InputError("\(at): pad \(p.0)x\(p.1) must be at most half the kernel \(k.0)x\(k.1)")
                }
                if k.0 > shape.h + 2 * p.0 || k.1 > shape.w + 2 * p.1 {
                    throw InputError("\(at): kernel \(k.0)x\(k.1) is larger than its padded input \(shape.h + 2 * p.0)x\(shape.w + 2 * p.1) (input \(shape), pad \(p.0)x\(p.1))")
                }
                let oh = windowOutputSize(shape.h, kernel: k.0, stride: s.0, pad: p.0, ceil: ceil)
                let ow = windowOutputSize(shape.w, kernel: k.1, stride: s.1, pad: p.1, ceil: ceil)
                guard oh >= 1, ow >= 1 else {
                    throw InputError("\(at): output size \(oh)x\(ow) < 1 from input \(shape)")
                }
                return (oh, ow)
            }
            var out = shape
            var weight: [Int]? = nil, bias: [Int]? = nil
            switch layer.kind {
            case let .conv(o, k, s, p, hasBias, groups):
                let (oh, ow) = try window(k, s, p, pool: false)
                guard shape.c % groups == 0, o % groups == 0 else {
                    throw InputError("\(at): groups \(groups) must divide the input channels (\(shape.c)) and the output channels (\(o))")
                }
                out = Shape(o, oh, ow)
                weight = [o, shape.c / groups, k.0, k.1]
                bias = hasBias ? [o] : nil
            case let .linear(o, hasBias):
                guard shape.isFlat || (shape.h == 1 && shape.w == 1) else {
                    throw InputError("\(at): linear needs a flat input, got \(shape): put flatten before it")
                }
                out = Shape(flat: o)
                weight = [o, shape.count]
                bias = hasBias ? [o] : nil
            case let .maxpool(k, s, p, ceil):
                let (oh, ow) = try window(k, s, p, pool: true, ceil: ceil)
                out = Shape(shape.c, oh, ow)
            case let .avgpool(k, s, p):
                let (oh, ow) = try window(k, s, p, pool: true)
                out = Shape(shape.c, oh, ow)
            case .globalavgpool:
                try spatial()
                out = Shape(shape.c, 1, 1)
            case .flatten:
                out = Shape(flat: shape.count)
            case .lrn:
                break
            case .relu, .sigmoid, .tanh, .leakyrelu, .dropout:
                break
            }
            _ = try checkedCount(out.dims, "\(at): output shape")
            total += try (weight.map { try checkedCount($0, "\(at): weight") } ?? 0)
                + (bias.map { try checkedCount($0, "\(at): bias") } ?? 0)
            _ = try checkedCount([total], "\(spec.source): parameter count up to \(at)")
            var isLinear = false
            if case .linear = layer.kind { isLinear = true }
            var inits = spec.initPreset.resolve(layerName: name, isLinear: isLinear, hidden: isLinear && i != lastLinear)
            if let o = layer.initOverride {
                if let w = o.weight { inits.weight = w }
                if let b = o.bias { inits.bias = b }
            }
            planned.append(PlannedLayer(index: i, name: name, spec: layer, input: shape, output: out,
                                        weightShape: weight, biasShape: bias, weightInit: inits.weight, biasInit: inits.bias))
            shape = out
        }
        layers = planned
    }

    /// Parameter tensors in buffer order: per layer, weight then bias (PyTorch state_dict order).
    public var tensors: [ParameterTensor] {
        var offset = 0
        var result: [ParameterTensor] = []
        for l in layers {
            if let w = l.weightShape {
                result.append(ParameterTensor(name: "\(l.name).weight", shape: w, offset: offset, layerIndex: l.index, isBias: false))
                offset += l.weights
            }
            if let b = l.biasShape {
                result.append(ParameterTensor(name: "\(l.name).bias", shape: b, offset: offset, layerIndex: l.index, isBias: true))
                offset += l.biases
            }
        }
        return result
    }
}
