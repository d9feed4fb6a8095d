// Shape inference: a ModelSpec becomes a graph of planned nodes (every layer, and a join for each
// block) with input/output shapes, parameter shapes and resolved initialisers, before anything is
// allocated. Nodes are in execution order and each reads nodes before it (or the network input,
// node -1), so the graph is a DAG run front to back. `layers` holds every layer of every block in
// that order, named by its dot path (DESIGN.md "Graph blocks"). Every way a spec can fail to fit
// its input (kernel larger than the padded input, output size < 1, conv after flatten, linear on
// an unflattened input, duplicate names, paths that cannot be concatenated or added) is an
// InputError here, naming the file, the item's path (layers[5].inception4a.branch2[1]) and the shapes.

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
    /// The node this layer reads (-1: the network input) and the node it is.
    public var source: Int
    public var node: Int
    /// How many blocks enclose it (0 at top level).
    public var depth: Int

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
        case .batchnorm: return input.isFlat ? "BatchNorm1d" : "BatchNorm2d"
        case .branch: return "Branch"
        case .residual: return "Residual"
        }
    }
    /// Non-parameter state (BatchNorm: running_mean, running_var [C], num_batches_tracked []).
    public var stateShapes: [(suffix: String, shape: [Int])] {
        guard case .batchnorm = spec.kind else { return [] }
        return [("running_mean", [input.c]), ("running_var", [input.c]), ("num_batches_tracked", [])]
    }
    /// fan_in and fan_out of the weight (for initialisers; PyTorch's: a grouped conv's fan_in is
    /// in/groups x kh x kw, its fan_out out x kh x kw).
    public var fans: (fanIn: Int, fanOut: Int) {
        guard let w = weightShape, w.count >= 2 else { return (1, 1) }   // BatchNorm: constant inits
        let receptive = w.dropFirst(2).reduce(1, *)
        return (w[1] * receptive, w[0] * receptive)
    }
}

/// The most elements one sample's activation, one parameter tensor or the whole model may have (and
/// the largest kernel, stride or pad): GEMM and MPI take 32-bit counts, and the shape arithmetic
/// must not overflow. `what` names the place in the message.
func checkedCount(_ dims: [Int], _ what: @autoclosure () -> String) throws -> Int {
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

/// A block's join: concatenation of its paths (branch) or the sum of body and shortcut (residual).
public struct PlannedJoin: Equatable, Sendable {
    public enum Kind: String, Sendable { case concat = "branch", add = "residual" }
    public var kind: Kind
    public var name: String               // the block's dot path
    public var inputs: [Int]              // nodes joined (-1: the network input, a residual's identity)
    /// concat: the first channel of each input in the output
    public var channelOffsets: [Int]
    public var output: Shape
    public var params: Int                // the block's parameters (its layers'; not counted twice)
    public var depth: Int
    public var layerRange: Range<Int>     // the block's layers (plan.layers indices)
}

public enum PlannedNode: Equatable, Sendable {
    case layer(Int)                       // plan.layers index
    case join(PlannedJoin)
}

public struct NetworkPlan: Equatable, Sendable {
    public var spec: ModelSpec
    public var layers: [PlannedLayer]
    /// Execution order: every layer and every block's join (after the block's layers).
    public var nodes: [PlannedNode]
    public var input: Shape { spec.input }
    public var output: Shape { outputShape(of: nodes.count - 1) }
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.params } }
    public var classes: Int { output.count }
    public var joins: [PlannedJoin] { nodes.compactMap { if case .join(let j) = $0 { return j } else { return nil } } }

    /// The output shape of node `id` (-1: the input).
    public func outputShape(of id: Int) -> Shape {
        guard id >= 0 else { return input }
        switch nodes[id] {
        case .layer(let i): return layers[i].output
        case .join(let j): return j.output
        }
    }

    /// Whether some node (a block's input) is read by more than one node: its gradient is then a
    /// sum, and Network keeps a scratch slot for the later consumers' dx.
    public var hasFanOut: Bool {
        var readers = [Int](repeating: 0, count: nodes.count)
        for id in nodes.indices { for i in inputs(of: id) where i >= 0 { readers[i] += 1 } }
        return readers.contains { $0 > 1 }
    }

    /// The nodes node `id` reads (-1: the network input): a layer's source, a join's inputs.
    public func inputs(of id: Int) -> [Int] {
        switch nodes[id] {
        case .layer(let i): return [layers[i].source]
        case .join(let j): return j.inputs
        }
    }

    /// A node's name: its layer's or its block's dot path ("input" for -1).
    public func nodeName(_ id: Int) -> String {
        guard id >= 0 else { return "input" }
        switch nodes[id] {
        case .layer(let i): return layers[i].name
        case .join(let j): return j.name
        }
    }

    /// Infers shapes. `input` overrides the spec's input shape (summary --input).
    public init(_ spec: ModelSpec, input: Shape? = nil) throws {
        var spec = spec
        if let input { spec.input = input }
        self.spec = spec
        _ = try checkedCount(spec.input.dims, "\(spec.source): input")
        var planner = GraphPlanner(spec: spec)
        try planner.checkInitPreset()
        _ = try planner.plan(spec.layers, from: -1, shape: spec.input, scope: "", at: "layers", depth: 0)
        layers = planner.layers
        nodes = planner.nodes
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

/// A non-parameter tensor a layer keeps (BatchNorm's running statistics and batch counter): in
/// checkpoints under its name, never in the gradient buffer. Float state lives in Network.state at
/// `offset`; num_batches_tracked is an Int64 the layer holds (offset nil).
public struct StateTensor: Equatable, Sendable {
    public var name: String               // "res1.bn2.running_var"
    public var shape: [Int]
    public var offset: Int?
    public var layerIndex: Int
    public var count: Int { shape.reduce(1, *) }
}

extension NetworkPlan {
    /// State tensors in layer order (running_mean, running_var, num_batches_tracked per BatchNorm).
    public var stateTensors: [StateTensor] {
        var offset = 0
        var result: [StateTensor] = []
        for l in layers {
            for (suffix, shape) in l.stateShapes {
                let floats = suffix != "num_batches_tracked"
                result.append(StateTensor(name: "\(l.name).\(suffix)", shape: shape, offset: floats ? offset : nil, layerIndex: l.index))
                if floats { offset += shape.reduce(1, *) }
            }
        }
        return result
    }
    /// Floats of Float state (running statistics) in the whole network.
    public var stateFloatCount: Int { stateTensors.reduce(0) { $0 + ($1.offset == nil ? 0 : $1.count) } }
}
