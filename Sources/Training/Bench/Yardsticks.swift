// What benchmark figures are measured against: single-thread-or-not sgemm GFLOP/s in this very
// process (the ceiling for conv and linear layers), per-layer FLOP counts, and peak resident memory.

import Core
import Foundation
import NN

/// GFLOP/s of one n x n x n sgemm through the same wrapper the layers use (median of `repeats`).
public func measureSGEMM(n: Int = 512, repeats: Int = 7) -> Double {
    let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
    var rng = SplitMix64(seed: 7)
    for i in 0..<(n * n) { a[i] = rng.nextUnitFloat() - 0.5; b[i] = rng.nextUnitFloat() - 0.5 }
    gemm(.no, .no, m: n, n: n, k: n, a.pointer, b.pointer, beta: 0, c.pointer)   // warm-up
    var times: [Double] = []
    for _ in 0..<repeats {
        let t0 = monotonicSeconds()
        gemm(.no, .no, m: n, n: n, k: n, a.pointer, b.pointer, beta: 0, c.pointer)
        times.append(monotonicSeconds() - t0)
    }
    return 2 * Double(n * n * n) / times.sorted()[times.count / 2] / 1e9
}

/// Multiply-add FLOPs (2 per MAC) of a layer's forward and backward pass for `batch` samples.
/// Backward counts the weight gradient, plus the input gradient unless `firstLayer`.
public func layerFLOPs(_ layer: PlannedLayer, batch: Int, firstLayer: Bool) -> (forward: Double, backward: Double) {
    let n = Double(batch)
    switch layer.spec.kind {
    case .conv, .linear:          // weights = out x in/groups x kh x kw: one MAC each per output pixel
        let macs = Double(layer.weights) * Double(layer.output.h * layer.output.w) * n
        return (2 * macs, (firstLayer ? 2 : 4) * macs)
    default:
        let elements = Double(layer.output.count) * n
        return (elements, elements)
    }
}

/// Peak resident set size of this process in MB (VmHWM), or nil where /proc is absent.
public func peakResidentMB() -> Double? { SystemMemory.peakResident().map { Double($0) / 1_048_576 } }
