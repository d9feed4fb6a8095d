// `dtrain bench train` and `dtrain bench conv`: images/s of the real training step at the current
// world size after warm-up, the share of the step in data / compute / waiting / allreduce /
// optimiser, the gradient exchange per step against a bare allreduce (ExchangeBench.swift), per-layer
// forward and backward time and GFLOP/s, the in-process sgemm yardstick and peak memory. The same
// Trainer code path as `dtrain train`, minus evaluation and files.

import Core
import Foundation
import NN
import Datasets
import Collective

public struct LayerTiming {
    public var name: String, kind: String
    public var forwardSeconds: Double, backwardSeconds: Double     // per step
    public var forwardFLOPs: Double, backwardFLOPs: Double         // per step
    /// Set when the fused pass leaves the layer's forward out (NN/PassPlan.swift): "conv1" for a ReLU
    /// that conv1 applies, "view" for flatten. Its forward time is then inside that layer's (or
    /// nowhere); a fused ReLU's backward still runs in place unless a max pool applies its mask.
    public var fusedInto: String? = nil
    public var forwardGFLOPs: Double { forwardSeconds > 0 ? forwardFLOPs / forwardSeconds / 1e9 : 0 }
    public var backwardGFLOPs: Double { backwardSeconds > 0 ? backwardFLOPs / backwardSeconds / 1e9 : 0 }
}

/// One block of a graph model: its layers' seconds plus its join's, per step.
public struct BlockTiming {
    public var name: String, kind: String
    public var forwardSeconds: Double, backwardSeconds: Double
}

public struct TrainBenchResult {
    public var model: String
    public var worldSize: Int, batch: Int, steps: Int
    public var stepSeconds: Double
    public var imagesPerSecond: Double                              // global
    public var times: PhaseTimes                                     // rank 0, per step
    /// Seconds per step of forward + backward on each rank: the ranks do the same work, so a
    /// spread here is the machine (a slower or shared core), and every step waits for the slowest.
    public var rankCompute: [Double] = []
    public var layers: [LayerTiming]
    /// Graph models: per block, its layers' times plus its join's (concatenation copies, residual add).
    public var blocks: [BlockTiming] = []
    /// Seconds per step summing BatchNorm statistics across ranks (inside compute; nil: none).
    public var batchNormSyncSeconds: Double?
    public var sgemmGFLOPs: Double
    public var peakRSSMB: Double                                     // the largest rank
    public var estimatedPeakMB = Double.nan                          // the memory pre-flight's estimate (MB = 2^20 bytes)
    public var exchange: ExchangeTiming?                             // nil at world size 1

    public func text() -> String {
        var out = String(format: "%@: world size %d, batch %d per rank, %d steps: %.0f images/s, %.3f ms/step\n",
                         model, worldSize, batch, steps, imagesPerSecond, 1000 * stepSeconds)
        let total = max(times.data + times.compute + times.wait + times.comm + times.optimizer, 1e-12)
        func pct(_ v: Double) -> String { String(format: "%.1f%%", 100 * v / total) }
        out += "step: data \(pct(times.data))  compute \(pct(times.compute))  waiting \(pct(times.wait))  "
            + "allreduce \(pct(times.comm)) (mean \(String(format: "%.1f", 1e6 * times.comm)) us)  optimizer \(pct(times.optimizer))\n"
        if rankCompute.count > 1 {
            let ms = rankCompute.map { String(format: "%.3f", 1000 * $0) }.joined(separator: " / ")
            let spread = (rankCompute.max()! / max(rankCompute.min()!, 1e-12) - 1) * 100
            out += "compute per rank (ms/step): \(ms); the slowest is \(String(format: "%.1f", spread))% above the fastest\n"
        }
        if let exchange { out += exchange.text() }
        out += String(format: "sgemm 512^3 in this process: %.1f GFLOP/s; peak RSS %.1f MB (pre-flight estimate %.1f MB)\n",
                      sgemmGFLOPs, peakRSSMB, estimatedPeakMB)
        if let sync = batchNormSyncSeconds {
            out += String(format: "batchnorm sync across ranks: %.3f ms/step (%.1f%% of the step)\n", 1000 * sync, 100 * sync / max(stepSeconds, 1e-12))
        }
        let width = max(14, (layers.map(\.name.count) + blocks.map(\.name.count)).max() ?? 0) + 1
        out += "layer".padding(toLength: width, withPad: " ", startingAt: 0) + "forward ms  GFLOP/s   backward ms  GFLOP/s\n"
        for l in layers {
            out += l.name.padding(toLength: width - 1, withPad: " ", startingAt: 0)
            if let into = l.fusedInto {
                out += into == "view" ? "          (a view: no pass)" : "          (fused into \(into))"
                out += l.backwardSeconds > 0 ? String(format: "  backward %.3f ms\n", 1000 * l.backwardSeconds) : "\n"
                continue
            }
            out += String(format: " %10.3f %8.1f  %12.3f %8.1f\n", 1000 * l.forwardSeconds, l.forwardGFLOPs,
                          1000 * l.backwardSeconds, l.backwardGFLOPs)
        }
        if !blocks.isEmpty {
            out += "block".padding(toLength: width, withPad: " ", startingAt: 0) + "forward ms            backward ms   (its layers and its join)\n"
            for b in blocks {
                out += b.name.padding(toLength: width - 1, withPad: " ", startingAt: 0)
                    + String(format: " %10.3f %8@  %12.3f   %@\n", 1000 * b.forwardSeconds, "", 1000 * b.backwardSeconds, b.kind)
            }
        }
        return out
    }

    /// The result as `dtrain bench train --json` writes it (Core/Records/TrainBenchRecord.swift).
    public var record: TrainBenchRecord {
        var r = TrainBenchRecord()
        r.model = model; r.worldSize = worldSize; r.batch = batch; r.steps = steps
        r.stepMs = 1000 * stepSeconds; r.imagesPerSec = imagesPerSecond
        r.dataMs = 1000 * times.data; r.computeMs = 1000 * times.compute; r.waitMs = 1000 * times.wait
        r.allreduceMs = 1000 * times.comm; r.optimizerMs = 1000 * times.optimizer
        r.rankComputeMs = rankCompute.map { 1000 * $0 }
        r.sgemmGFLOPs = sgemmGFLOPs; r.peakRSSMB = peakRSSMB; r.estimatedPeakMB = estimatedPeakMB.isFinite ? estimatedPeakMB : nil
        r.exchange = exchange?.record
        r.layers = layers.map { l in
            TrainBenchRecord.Layer(name: l.name, kind: l.kind, forwardMs: 1000 * l.forwardSeconds, backwardMs: 1000 * l.backwardSeconds,
                                   forwardGFLOPs: l.forwardGFLOPs, backwardGFLOPs: l.backwardGFLOPs, fusedInto: l.fusedInto)
        }
        r.blocks = blocks.map { TrainBenchRecord.Block(name: $0.name, kind: $0.kind, forwardMs: 1000 * $0.forwardSeconds,
                                                        backwardMs: 1000 * $0.backwardSeconds) }
        r.batchNormSyncMs = batchNormSyncSeconds.map { 1000 * $0 }
        return r
    }

    /// One line of JSON: `record`'s text.
    public func json() -> String { record.jsonText() }
}

/// Trains `warmup` then `steps` real steps and reports the measured ones.
public func benchmarkTraining(config: RunConfig, comm: Communicator, data: TrainingData,
                              steps: Int, warmup: Int) throws -> TrainBenchResult {
    var config = config
    config.train.epochs = max(config.train.epochs, 1_000_000 / max(data.train.count / (comm.size * config.train.batchSize), 1) + 1)
    let trainer = try Trainer(config: config, comm: comm, data: data, quiet: true)
    trainer.initializeParameters()
    _ = try trainer.runSteps(warmup)
    let profile = LayerProfile(layers: trainer.network.layers.count, nodes: trainer.network.plan.nodes.count)
    trainer.network.profile = profile
    let clocks = ExchangeRecorder(steps: steps, paired: false, comm: comm)
    trainer.addObserver(clocks)
    comm.barrier()
    let t0 = monotonicSeconds()
    let syncBefore = trainer.batchNormSyncSeconds
    let times = try trainer.runSteps(steps)
    let syncSeconds = trainer.batchNormSyncSeconds.map { ($0 - (syncBefore ?? 0)) / Double(steps) }
    comm.barrier()
    let seconds = monotonicSeconds() - t0
    trainer.network.profile = nil
    trainer.removeObserver(clocks)
    let exchange = try measureExchange(trainer: trainer, comm: comm, clocks: clocks, steps: steps)
    let n = Double(steps)
    let plan = trainer.network.plan
    let samples = config.train.batchSize * config.train.accumulate       // per rank and step: K passes of the batch
    let layers = plan.layers.enumerated().map { i, l -> LayerTiming in
        let flops = layerFLOPs(l, batch: samples, firstLayer: l.source < 0)
        var timing = LayerTiming(name: l.name, kind: l.spec.kind.word, forwardSeconds: profile.forward[i] / n,
                                 backwardSeconds: profile.backward[i] / n, forwardFLOPs: flops.forward, backwardFLOPs: flops.backward)
        if !trainer.network.ranForward(i) {
            timing.fusedInto = trainer.network.layers[i] is Flatten ? "view" : plan.nodeName(l.source)
        }
        return timing
    }
    var perStep = times
    perStep.data /= n; perStep.compute /= n; perStep.wait /= n; perStep.comm /= n; perStep.optimizer /= n
    let rss = comm.allgather(peakResidentMB() ?? 0).max() ?? 0
    var result = TrainBenchResult(model: plan.spec.name, worldSize: comm.size, batch: samples, steps: steps,
                                  stepSeconds: seconds / n,
                                  imagesPerSecond: Double(steps * comm.size * samples) / seconds,
                                  times: perStep, layers: layers, sgemmGFLOPs: measureSGEMM(), peakRSSMB: rss, exchange: exchange)
    result.rankCompute = comm.allgather(perStep.compute)
    result.batchNormSyncSeconds = syncSeconds
    // a block's nodes: from its first layer's node to its own join (nested blocks' joins included)
    result.blocks = plan.nodes.indices.compactMap { node -> BlockTiming? in
        guard case .join(let j) = plan.nodes[node] else { return nil }
        let inner = j.layerRange
        let first = inner.isEmpty ? node : plan.layers[inner.lowerBound].node
        let joins = (first...node).filter { if case .join = plan.nodes[$0] { return true } else { return false } }
        return BlockTiming(name: j.name, kind: j.kind.rawValue,
                           forwardSeconds: (inner.reduce(0) { $0 + profile.forward[$1] } + joins.reduce(0) { $0 + profile.joinForward[$1] }) / n,
                           backwardSeconds: (inner.reduce(0) { $0 + profile.backward[$1] } + joins.reduce(0) { $0 + profile.joinBackward[$1] }) / n)
    }
    result.estimatedPeakMB = Double(trainer.memory.total) / 1_048_576
    return result
}

/// One convolution shape, forward + backward (weights and input), over `repeats` passes.
public func benchmarkConv(input: Shape, out: Int, kernel: Int, stride: Int, pad: Int, batch: Int,
                          repeats: Int) throws -> (forwardGFLOPs: Double, backwardGFLOPs: Double, sgemmGFLOPs: Double) {
    let spec = ModelSpec(name: "conv", input: input, initPreset: .pytorch, layers: [
        LayerSpec(.conv(out: out, kernel: (kernel, kernel), stride: (stride, stride), pad: (pad, pad), bias: true)),
    ], source: "bench conv")
    let plan = try NetworkPlan(spec)
    let network = Network(plan: plan)
    network.initialize(seed: 1)
    let x = FloatBuffer(count: batch * input.count)
    var rng = SplitMix64(seed: 3)
    for i in 0..<x.count { x[i] = rng.nextUnitFloat() }
    let layer = network.layers[0]
    layer.reserve(batch: batch)
    let y = FloatBuffer(count: batch * plan.output.count), dy = FloatBuffer(count: y.count), dx = FloatBuffer(count: x.count)
    for i in 0..<dy.count { dy[i] = rng.nextUnitFloat() - 0.5 }
    layer.forward(x.pointer, y.pointer, batch: batch, context: .inference)
    layer.backward(x.pointer, y.pointer, dy.pointer, dx.pointer, batch: batch)
    var forward = 0.0, backward = 0.0
    for _ in 0..<repeats {
        let t0 = monotonicSeconds()
        layer.forward(x.pointer, y.pointer, batch: batch, context: .inference)
        let t1 = monotonicSeconds()
        layer.backward(x.pointer, y.pointer, dy.pointer, dx.pointer, batch: batch)
        forward += t1 - t0; backward += monotonicSeconds() - t1
    }
    let flops = layerFLOPs(plan.layers[0], batch: batch, firstLayer: false)
    return (flops.forward * Double(repeats) / forward / 1e9, flops.backward * Double(repeats) / backward / 1e9, measureSGEMM())
}
