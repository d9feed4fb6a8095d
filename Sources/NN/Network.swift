// A network built from a plan: its layers, ONE flat parameter buffer and ONE flat gradient buffer
// with the same layout (per layer: weight then bias, PyTorch order), the running statistics, and
// per-node activation and gradient slots sized for the largest batch seen. Nodes run in the plan's
// order through the views of PassPlan.swift (block joins: JoinKernels.swift). After `reserve(batch:)` and one training
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

    /// Running statistics (BatchNorm's running_mean, running_var), contiguous: plan.stateTensors'
    /// offsets. Not parameters: never in the gradient buffer; saved in checkpoints.
    public let state: UnsafeMutableBufferPointer<Float>
    public let stateTensors: [StateTensor]
    public let batchNorms: [BatchNorm]

    private var capacity = 0
    private var activations: [FloatBuffer] = []   // node s's output slot, (N, output_s); empty when no pass uses it
    private var deltas: [FloatBuffer] = []        // dLoss / d(node s's output)
    private var scratch = FloatBuffer(count: 0)   // a fan-out consumer's dx before it is added
    private var input: UnsafePointer<Float>?      // the last forward's input, for backward
    private var batch = 0
    /// When set, every pass adds each layer's seconds here (benchmarks; nil in training).
    public var profile: LayerProfile?
    /// Called with i after layer i's backward: its parameter gradients are final (bucketed
    /// allreduce starts a bucket's reduction here, overlapping the rest of backward). Layers run
    /// backward in decreasing index order.
    public var afterLayerBackward: ((Int) -> Void)?
    /// Fused passes (PassPlan.swift): flatten as a view, ReLU inside the convolution or residual
    /// join before it. Same numbers; set false for a pass whose every layer output is to be read.
    public var fuses = true
    private let passPlan: PassPlan
    private var steps: [PassStep]                 // the last forward's (backward follows it)
    private var configuredFor: Bool?              // the pass the layers are set up for (nil: none yet)

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
        stateTensors = plan.stateTensors
        let stateCount = plan.stateFloatCount
        state = UnsafeMutableBufferPointer(start: allocateChecked(Float.self, count: stateCount, for: "\(stateCount) running statistics"),
                                           count: stateCount)
        let built = plan.layers.map(Network.makeLayer)
        layers = built
        batchNorms = built.compactMap { $0 as? BatchNorm }
        passPlan = PassPlan(plan, built)
        steps = passPlan.fused
        var offset = 0
        for layer in layers {
            layer.bind(parameters: parameters.baseAddress! + offset, gradients: gradients.baseAddress! + offset)
            offset += layer.parameterCount
        }
        var stateOffset = 0                           // plan.stateTensors' order: per BatchNorm, mean then var
        for bn in batchNorms {
            bn.bindState(state.baseAddress! + stateOffset)
            stateOffset += bn.stateCount
        }
        resetState()
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
        case let .batchnorm(eps, momentum, sync): layer = BatchNorm(name: p.name, input: p.input, eps: eps, momentum: momentum, sync: sync)
        case .branch, .residual: preconditionFailure("\(p.name): a block is not a layer (NetworkPlan plans its layers)")
        case let .lrn(size, alpha, beta, k):
            layer = LocalResponseNorm(name: p.name, input: p.input, size: size, alpha: alpha, beta: beta, k: k)
        }
        return layer
    }

    public convenience init(spec: ModelSpec) throws { self.init(plan: try NetworkPlan(spec)) }

    deinit {
        releaseChecked(parameters.baseAddress!)
        if let s = state.baseAddress { releaseChecked(s) }
    }

    /// BatchNorm's running statistics as PyTorch starts them: mean 0, variance 1, no batches.
    public func resetState() {
        for bn in batchNorms {
            BatchNorm.initialState(bn.runningMean, channels: bn.channels)
            bn.numBatchesTracked = 0
        }
    }

    /// num_batches_tracked of the BatchNorm that owns state tensor `t`.
    public func batchesTracked(_ t: StateTensor) -> Int64 { (layers[t.layerIndex] as? BatchNorm)?.numBatchesTracked ?? 0 }
    public func setBatchesTracked(_ t: StateTensor, _ value: Int64) { (layers[t.layerIndex] as? BatchNorm)?.numBatchesTracked = value }

    /// Sums BatchNorm's statistics across the ranks for every layer with sync (nil: local).
    public func setStatisticsReducer(_ reducer: StatisticsReducer?) {
        for bn in batchNorms where bn.sync { bn.reducer = reducer }
    }

    public var inputShape: Shape { plan.input }
    public var outputShape: Shape { plan.output }

    /// Fills every parameter with its layer's initialiser. Each tensor draws from its own stream
    /// (seed, tensor index), so initial weights do not depend on anything but the seed.
    public func initialize(seed: UInt64) {
        resetState()
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
        let counts = plan.nodes.indices.map { passPlan.slotUsed[$0] ? plan.outputShape(of: $0).count : 0 }
        activations = counts.map { FloatBuffer(count: n * $0) }
        deltas = counts.map { FloatBuffer(count: n * $0) }
        if plan.hasFanOut { scratch = FloatBuffer(count: n * (counts.max() ?? 0)) }
        for layer in layers { layer.reserve(batch: n) }
    }

    /// Runs the graph on x : (N, C, H, W). Returns the logits (N, classes), valid until the next pass.
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, batch n: Int, context: PassContext) -> UnsafeMutablePointer<Float> {
        reserve(batch: n)
        input = x
        batch = n
        if configuredFor != fuses { configure(fused: fuses) }
        for step in steps where step.forward {
            let t0 = profile == nil ? 0 : monotonicSeconds()
            switch plan.nodes[step.node] {
            case .layer(let i):
                layers[i].forward(UnsafePointer(pointer(step.inputs[0], x)), pointer(step.output, x), batch: n, context: context)
                if let profile { profile.forward[i] += monotonicSeconds() - t0 }
            case .join(let j):
                forwardJoin(j, step, x)
                if let profile { profile.joinForward[step.node] += monotonicSeconds() - t0 }
            }
        }
        return pointer(steps[steps.count - 1].output, x)
    }

    /// Points the layers at one pass's routes: fused ReLUs and masks, and output strides (set once
    /// per switch between fused and plain passes, not per pass).
    private func configure(fused: Bool) {
        steps = fused ? passPlan.fused : passPlan.plain
        for conv in passPlan.reluConvolutions { conv.appliesReLU = fused }
        for pool in passPlan.maskingPools { pool.masksGradientByOutput = fused }
        for step in steps {
            if case .layer(let i) = plan.nodes[step.node], let strided = layers[i] as? StridedOutputLayer {
                strided.outputStride = step.output.stride
            }
        }
        configuredFor = fused
    }

    /// Sample 0 of a view (slot -1: the input x).
    private func pointer(_ v: SlotView, _ x: UnsafePointer<Float>) -> UnsafeMutablePointer<Float> {
        v.slot < 0 ? UnsafeMutablePointer(mutating: x) : activations[v.slot].pointer + v.offset
    }
    private func delta(_ v: SlotView) -> UnsafeMutablePointer<Float> { deltas[v.slot].pointer + v.offset }

    private func forwardJoin(_ j: PlannedJoin, _ step: PassStep, _ x: UnsafePointer<Float>) {
        let out = pointer(step.output, x), per = j.output.count
        switch j.kind {
        case .add:
            addSamples(pointer(step.inputs[0], x), pointer(step.inputs[1], x), into: out, count: per,
                       stride: step.output.stride, batch: batch, relu: step.relu)
        case .concat:
            let plane = j.output.h * j.output.w
            for k in step.copies {
                let src = step.inputs[k], c = plan.outputShape(of: step.inputNodes[k]).count
                copySamples(pointer(src, x), stride: src.stride, into: out + j.channelOffsets[k] * plane, stride: step.output.stride,
                            count: c, batch: batch)
            }
        }
    }

    private func backwardJoin(_ j: PlannedJoin, _ step: PassStep, _ x: UnsafePointer<Float>) {
        let dy = delta(step.output), per = j.output.count
        switch j.kind {
        case .add:
            for (k, src) in step.inputNodes.enumerated() where src >= 0 {
                let target = step.inputs[k]
                addGradient(dy, stride: step.output.stride, mask: step.relu ? UnsafePointer(pointer(step.output, x)) : nil,
                            into: delta(target), count: per, batch: batch, accumulate: step.accumulates[k])
            }
        case .concat:
            let plane = j.output.h * j.output.w
            for k in step.copies where step.inputNodes[k] >= 0 {
                let target = step.inputs[k], c = plan.outputShape(of: step.inputNodes[k]).count
                copySamples(dy + j.channelOffsets[k] * plane, stride: step.output.stride, into: delta(target), stride: target.stride,
                            count: c, batch: batch)
            }
        }
    }

    /// Whether layer i ran in the last forward (false: fused into another node or a view).
    public func ranForward(_ i: Int) -> Bool { steps[plan.layers[i].node].forward }

    /// Where the loss writes dLoss/dlogits before `backward()`: (N, classes).
    public var outputGradient: UnsafeMutablePointer<Float> { delta(steps[steps.count - 1].output) }

    /// Output of layer i from the last forward: sample b at activation(i) + b * activationStride(i).
    /// After a fused pass a convolution followed by ReLU holds the ReLU'd output: pass with `fuses`
    /// off to read its own. A branch's last layer writes into its slice of the branch's output.
    public func activation(_ i: Int) -> UnsafeMutablePointer<Float> { activations[output(ofLayer: i).slot].pointer + output(ofLayer: i).offset }
    public func activationStride(_ i: Int) -> Int { output(ofLayer: i).stride }
    /// dLoss/d(output of layer i) from the last backward (after a fused pass: as `activation`).
    public func activationGradient(_ i: Int) -> UnsafeMutablePointer<Float> { delta(output(ofLayer: i)) }
    /// Where layer i's output lives in the last forward's pass (never the network input).
    private func output(ofLayer i: Int) -> SlotView { steps[plan.layers[i].node].output }

    /// Backpropagates `outputGradient` through the last forward's batch; ACCUMULATES into `gradients`.
    public func backward() {
        guard let x = input else { return }
        for step in steps.reversed() {
            switch plan.nodes[step.node] {
            case .layer(let i):
                if step.backward {
                    let target = step.inputs[0]
                    let accumulate = step.accumulates[0]
                    let dx: UnsafeMutablePointer<Float>? = target.slot < 0 ? nil : accumulate ? scratch.pointer : delta(target)
                    let t0 = profile == nil ? 0 : monotonicSeconds()
                    layers[i].backward(UnsafePointer(pointer(target, x)), pointer(step.output, x), delta(step.output), dx, batch: batch)
                    if accumulate, let dx { addInPlace(UnsafePointer(dx), into: delta(target), count: batch * layers[i].inputShape.count) }
                    if let profile { profile.backward[i] += monotonicSeconds() - t0 }
                }
                afterLayerBackward?(i)
            case .join(let j):
                guard step.backward else { continue }
                let t0 = profile == nil ? 0 : monotonicSeconds()
                backwardJoin(j, step, x)
                if let profile { profile.joinBackward[step.node] += monotonicSeconds() - t0 }
            }
        }
    }

    public func zeroGradients() { gradients.update(repeating: 0) }
}

/// Seconds per layer and direction, and per block join and direction (by node id), accumulated over passes.
public final class LayerProfile {
    public var forward: [Double], backward: [Double]
    public var joinForward: [Double], joinBackward: [Double]
    public init(layers: Int, nodes: Int) {
        forward = Array(repeating: 0, count: layers); backward = forward
        joinForward = Array(repeating: 0, count: nodes); joinBackward = joinForward
    }
}
