// A network built from a plan: its layers, ONE flat parameter buffer and ONE flat gradient buffer
// with the same layout (per layer: weight then bias, PyTorch order), and per-layer activation and
// gradient buffers sized for the largest batch seen. After `reserve(batch:)` and one training
// step, further steps (forward, loss, backward) at that batch size or smaller allocate nothing
// (the first backward may allocate a convolution's dx workspace: Layers/Layer.swift).

import Core
import Foundation

public final class Network {
    public let plan: NetworkPlan
    public let layers: [Layer]
    public let tensors: [ParameterTensor]
    public let parameterCount: Int
    /// All parameters, contiguous: layers hold views at fixed offsets.
    public let parameters: UnsafeMutableBufferPointer<Float>
    /// All gradients, same layout as `parameters`: the first P floats of `exchange`.
    public let gradients: UnsafeMutableBufferPointer<Float>
    /// Owns the gradient memory (retained here, so `gradients` never dangles).
    public let exchange: ExchangeBuffer

    private var capacity = 0
    private var activations: [FloatBuffer] = []   // layer i's output, (N, output_i)
    private var deltas: [FloatBuffer] = []        // dLoss / d(layer i's output)
    private var input: UnsafePointer<Float>?      // the last forward's input, for backward
    private var batch = 0
    /// When set, every pass adds each layer's seconds here (benchmarks; nil in training).
    public var profile: LayerProfile?
    /// Called with i after layer i's backward: its parameter gradients are final (bucketed
    /// allreduce starts a bucket's reduction here, overlapping the rest of backward).
    public var afterLayerBackward: ((Int) -> Void)?
    /// Fused passes (Fusion.swift): flatten as a view, ReLU inside the convolution before it.
    /// Same numbers; set false for a pass whose every layer output is to be read (`activation(i)`).
    public var fuses = true
    private let passPlan: PassPlan
    private var routes: [LayerRoute]              // the last forward's (backward follows it)

    /// Gradients go into `exchange` (the trainer passes the buffer the ranks sum, so gradients
    /// need no copy), or into a buffer of the network's own.
    public init(plan: NetworkPlan, exchange: ExchangeBuffer? = nil) {
        self.plan = plan
        tensors = plan.tensors
        parameterCount = plan.parameterCount
        parameters = UnsafeMutableBufferPointer(start: allocateChecked(Float.self, count: parameterCount,
                                                                       for: "\(parameterCount) parameters"), count: max(parameterCount, 1))
        parameters.initialize(repeating: 0)
        let exchange = exchange ?? ExchangeBuffer(parameterCount: parameterCount)
        precondition(exchange.parameterCount == parameterCount, "exchange buffer of \(exchange.parameterCount) gradients for \(parameterCount) parameters")
        self.exchange = exchange
        gradients = exchange.gradients
        let built = plan.layers.map(Network.makeLayer)
        layers = built
        passPlan = PassPlan(built)
        routes = passPlan.fused
        var offset = 0
        for layer in layers {
            layer.bind(parameters: parameters.baseAddress! + offset, gradients: gradients.baseAddress! + offset)
            offset += layer.parameterCount
        }
    }

    /// The layer object for one planned layer (nothing of the network's buffers is allocated: the
    /// layer is bound to its parameter slice later). The memory pre-flight builds layers this way.
    public static func makeLayer(_ p: PlannedLayer) -> Layer {
        let layer: Layer
        switch p.spec.kind {
        case let .conv(o, k, s, pad, bias, groups):
            layer = Conv2D(name: p.name, input: p.input, out: o, kernel: k, stride: s, pad: pad, bias: bias, groups: groups)
        case let .linear(o, bias):
            layer = Linear(name: p.name, input: p.input, out: o, bias: bias)
        case let .maxpool(k, s, pad, ceil):
            layer = Pool2D(name: p.name, mode: .max, input: p.input, kernel: k, stride: s, pad: pad, ceil: ceil)
        case let .avgpool(k, s, pad):
            layer = Pool2D(name: p.name, mode: .average, input: p.input, kernel: k, stride: s, pad: pad)
        case .relu: layer = Activation(name: p.name, function: .relu, input: p.input)
        case .sigmoid: layer = Activation(name: p.name, function: .sigmoid, input: p.input)
        case .tanh: layer = Activation(name: p.name, function: .tanh, input: p.input)
        case .leakyrelu(let slope): layer = Activation(name: p.name, function: .leakyReLU(slope: slope), input: p.input)
        case .flatten: layer = Flatten(name: p.name, input: p.input)
        case .globalavgpool: layer = GlobalAvgPool(name: p.name, input: p.input)
        case .dropout(let prob): layer = Dropout(name: p.name, p: prob, input: p.input, salt: UInt64(p.index))
        case let .lrn(size, alpha, beta, k):
            layer = LocalResponseNorm(name: p.name, input: p.input, size: size, alpha: alpha, beta: beta, k: k)
        }
        return layer
    }

    public convenience init(spec: ModelSpec) throws { self.init(plan: try NetworkPlan(spec)) }

    deinit { releaseChecked(parameters.baseAddress!) }

    public var inputShape: Shape { plan.input }
    public var outputShape: Shape { plan.output }

    /// Fills every parameter with its layer's initialiser. Each tensor draws from its own stream
    /// (seed, tensor index), so initial weights do not depend on anything but the seed.
    public func initialize(seed: UInt64) {
        for (t, tensor) in tensors.enumerated() {
            let layer = plan.layers[tensor.layerIndex]
            var rng = SplitMix64(seed: seed, 0x1_4E17, UInt64(t))
            let fans = layer.fans
            (tensor.isBias ? layer.biasInit : layer.weightInit)
                .fill(parameters.baseAddress! + tensor.offset, count: tensor.count, fanIn: fans.fanIn, fanOut: fans.fanOut, rng: &rng)
        }
    }

    public func tensor(named name: String) -> ParameterTensor? { tensors.first { $0.name == name } }

    /// Sizes every buffer for batches of up to `n` samples. Only allocates when `n` grows.
    public func reserve(batch n: Int) {
        guard n > capacity else { return }
        capacity = n
        activations = layers.map { FloatBuffer(count: n * $0.outputShape.count) }
        deltas = layers.map { FloatBuffer(count: n * $0.outputShape.count) }
        for layer in layers { layer.reserve(batch: n) }
    }

    /// Runs the layers on x : (N, C, H, W). Returns the logits (N, classes), valid until the next pass.
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, batch n: Int, context: PassContext) -> UnsafeMutablePointer<Float> {
        reserve(batch: n)
        input = x
        batch = n
        routes = fuses ? passPlan.fused : passPlan.plain
        for conv in passPlan.reluConvolutions { conv.appliesReLU = fuses }
        for pool in passPlan.maskingPools { pool.masksGradientByOutput = fuses }
        for (i, layer) in layers.enumerated() where routes[i].forward {
            let t0 = profile == nil ? 0 : monotonicSeconds()
            layer.forward(slot(routes[i].input, x), activations[routes[i].output].pointer, batch: n, context: context)
            if let profile { profile.forward[i] += monotonicSeconds() - t0 }
        }
        return activations[layers.count - 1].pointer
    }

    private func slot(_ s: Int, _ x: UnsafePointer<Float>) -> UnsafePointer<Float> {
        s < 0 ? x : UnsafePointer(activations[s].pointer)
    }

    /// Whether layer i ran in the last forward (false: fused into another layer or a view).
    public func ranForward(_ i: Int) -> Bool { routes[i].forward }

    /// Where the loss writes dLoss/dlogits before `backward()`: (N, classes).
    public var outputGradient: UnsafeMutablePointer<Float> { deltas[layers.count - 1].pointer }

    /// Output of layer i from the last forward (N, layers[i].outputShape). After a fused pass a
    /// convolution followed by ReLU holds the ReLU'd output: pass with `fuses` off to read its own.
    public func activation(_ i: Int) -> UnsafeMutablePointer<Float> { activations[routes[i].output].pointer }
    /// dLoss/d(output of layer i) from the last backward (after a fused pass: as `activation`).
    public func activationGradient(_ i: Int) -> UnsafeMutablePointer<Float> { deltas[routes[i].output].pointer }

    /// Backpropagates `outputGradient` through the last forward's batch; ACCUMULATES into `gradients`.
    public func backward() {
        guard let x = input else { return }
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            let r = routes[i]
            if r.backward {
                let dx: UnsafeMutablePointer<Float>? = r.input < 0 ? nil : deltas[r.input].pointer
                let t0 = profile == nil ? 0 : monotonicSeconds()
                layers[i].backward(slot(r.input, x), activations[r.output].pointer, deltas[r.output].pointer, dx, batch: batch)
                if let profile { profile.backward[i] += monotonicSeconds() - t0 }
            }
            afterLayerBackward?(i)
        }
    }

    public func zeroGradients() { gradients.update(repeating: 0) }
}

/// Seconds per layer and direction, accumulated over passes.
public final class LayerProfile {
    public var forward: [Double], backward: [Double]
    public init(layers: Int) { forward = Array(repeating: 0, count: layers); backward = forward }
}
