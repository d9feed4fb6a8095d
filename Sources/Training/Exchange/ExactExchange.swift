// exact: bit-identical training at ANY world size. The global batch is cut into fixed micro-batches
// of train.micro_batch samples; each micro-batch's gradient is computed alone, converted to 64-bit
// fixed point under a shared power-of-two scale and added up; one integer allreduce sums them, and
// integer addition does not depend on order. The scale (2^shift) comes from the previous step's
// largest |gradient| so that the sum over every micro-batch of the global batch stays below 2^62;
// when a step overflows anyway, every rank recomputes it at the new, smaller scale.
//
// Fixed-point buffer: [ gradients (P) | loss x 2^24, correct, samples, overflow flag, non-finite flag ]

import Core
import Foundation
import NN

final class ExactExchange: ExchangeStrategy {
    private let parts: ExchangeParts
    private let p: Int
    let microBatch: Int
    /// Micro-batches of the whole global batch (world x batch x accumulate / micro-batch).
    let globalMicroBatches: Int
    private let fixed: UnsafeMutableBufferPointer<Int64>          // (P + 5)
    /// log2 of the fixed-point scale (checkpointed as exact_shift, for a bit-identical resume).
    var shift = 24
    static let statsShift = 24
    private var largest = 0.0                                     // this step's largest |g| on this rank

    init(_ parts: ExchangeParts, microBatch: Int, globalMicroBatches: Int) {
        self.parts = parts
        p = parts.network.parameterCount
        self.microBatch = microBatch
        self.globalMicroBatches = globalMicroBatches
        fixed = UnsafeMutableBufferPointer(start: allocateChecked(Int64.self, count: p + 5, for: "the exact strategy's fixed-point sums"),
                                           count: p + 5)
        fixed.initialize(repeating: 0)
    }

    deinit { releaseChecked(fixed.baseAddress!) }

    /// BatchNorm's running statistics at the start of the step (an overflow retry redoes the passes).
    private let savedState = BatchNormSnapshot()

    var kind: RunConfig.AllreduceStrategy { .exact }
    var updateIsBroadcast: Bool { false }

    func computeGradients(_ passes: BatchPasses) {
        passes.markOwnShard()
        savedState.mark(parts.network)
        largest = accumulateMicroBatches(passes)
    }

    /// Every micro-batch of this rank's samples alone, added in fixed point; the largest |g| seen.
    private func accumulateMicroBatches(_ passes: BatchPasses) -> Double {
        let m = microBatch
        let limit = Double(sign: .plus, exponent: 62, significand: 1) / Double(globalMicroBatches)
        fixed.update(repeating: 0)
        var largest = 0.0
        for j in 0..<(passes.samples / m) {
            parts.network.zeroGradients()
            let stats = passes.forwardLoss(offset: j * m, count: m)
            passes.backward()
            largest = max(largest, accumulate(gradient: parts.buffer.gradients.baseAddress!, lossSum: stats.lossSum,
                                              correct: stats.correct, samples: m, limit: limit))
        }
        return largest
    }

    func enterTogether() { parts.comm.barrier() }

    func exchange(_ passes: BatchPasses, lr: Float) {
        var used = shift
        var outcome = reduce(maxAbs: largest)
        while outcome == .overflowed {
            used = shift                                // overflow somewhere: redo at the smaller scale
            passes.restoreOwnShard()
            savedState.restore(parts.network)           // BatchNorm's running statistics: as before the first try
            largest = accumulateMicroBatches(passes)
            outcome = reduce(maxAbs: largest)
        }
        if outcome == .nonFinite {
            parts.buffer.statistics = StepStatistics(lossSum: .nan, correct: 0, samples: 1)   // every rank stops, same step
        } else {
            decode(usedShift: used)
        }
    }

    /// The decoded gradient is already the global mean.
    func update(lr: Float) {
        parts.applyGradients(lr: lr, gradScale: 1)
    }

    /// Adds one micro-batch gradient in fixed point; flags an overflow instead of wrapping, and a
    /// NaN/Inf (divergence) instead of converting it. Returns the largest |g|.
    private func accumulate(gradient g: UnsafePointer<Float>, lossSum: Double, correct: Int, samples: Int,
                            limit: Double) -> Double {
        let scale = Double(sign: .plus, exponent: shift, significand: 1)
        let q = fixed.baseAddress!
        let maxAbs: Double
        // The usual case in two passes (NN/Kernels/FixedPoint.swift): the largest |g|, then, when
        // every g is finite and the largest fits the scale, no element can be flagged and the
        // conversion needs no per-element test. Same sums and flags as the checked loop below.
        let largestBits = largestMagnitudeBits(g, count: p)
        let largest = Double(Float(bitPattern: largestBits))
        if largestBits < Float.infinity.bitPattern, largest * scale < limit {
            addFixedPoint(g, scale: scale, into: q, count: p)
            maxAbs = largest
        } else {
            maxAbs = accumulateChecked(g, q, scale: scale, limit: limit)
        }
        let loss = lossSum * Double(1 << Self.statsShift)
        if loss.isFinite, abs(loss) < 9e18 { q[p] &+= Int64(loss.rounded()) } else { q[p + 4] = 1 }
        q[p + 1] &+= Int64(correct)
        q[p + 2] &+= Int64(samples)
        return maxAbs
    }

    /// Element by element: NaN/Inf set the non-finite flag, |g·scale| >= limit the overflow flag;
    /// the others are added. Returns the largest finite |g|.
    private func accumulateChecked(_ g: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Int64>,
                                   scale: Double, limit: Double) -> Double {
        var maxAbs = 0.0
        for i in 0..<p {
            let v = Double(g[i])
            guard v.isFinite else { q[p + 4] = 1; continue }
            let a = abs(v)
            if a > maxAbs { maxAbs = a }
            let scaled = v * scale
            if abs(scaled) >= limit { q[p + 3] = 1; continue }
            q[i] &+= Int64(scaled.rounded(.toNearestOrEven))
        }
        return maxAbs
    }

    enum Outcome { case summed, overflowed, nonFinite }

    /// Integer allreduce of the accumulated sums, then the next step's scale from the largest |g|
    /// of any micro-batch (the same at every world size). `.overflowed`: every rank retries at the
    /// new, smaller scale; `.nonFinite`: some rank saw NaN/Inf (diverged).
    private func reduce(maxAbs localMax: Double) -> Outcome {
        let comm = parts.comm
        comm.allreduceSum(fixed)
        let largest = comm.allreduceMax(localMax)
        if fixed[p + 4] != 0 { return .nonFinite }
        // the largest |g| times the number of micro-batches stays below 2^61
        let bound = max(largest, 1e-30) * Double(globalMicroBatches) * 2
        if bound.isFinite { shift = min(60, max(0, Int(floor(61 - log2(bound))))) }
        return fixed[p + 3] == 0 ? .summed : .overflowed
    }

    /// Converts the summed fixed point back: gradient = sum / 2^usedShift / micro-batches.
    private func decode(usedShift: Int) {
        let q = fixed.baseAddress!, g = parts.buffer.gradients.baseAddress!
        let factor = 1 / (Double(sign: .plus, exponent: usedShift, significand: 1) * Double(globalMicroBatches))
        for i in 0..<p { g[i] = Float(Double(q[i]) * factor) }
        parts.buffer.statistics = StepStatistics(lossSum: Float(Double(q[p]) / Double(1 << Self.statsShift)),
                                                 correct: Float(q[p + 1]), samples: Float(q[p + 2]))
    }
}
