// How the ranks combine their gradients each step (train.allreduce):
//   flat        ONE MPI_Allreduce over [gradients | loss, correct, samples]; every rank updates.
//   bucketed    one non-blocking allreduce per bucket of about train.bucket_mb, started as soon as
//               backward has finished the bucket's layers (the tail of the buffer first), so the
//               reductions overlap the rest of backward; waited for before the update.
//   coordinator the parameter-server pattern: MPI_Reduce onto rank 0, rank 0 updates, then
//               broadcasts the step's statistics and the new parameters.
//   exact       bit-identical at ANY world size: fixed micro-batches (Trainer.computeExact), each
//               micro-batch gradient in 64-bit fixed point under a shared power-of-two scale, summed
//               with an integer allreduce — integer addition does not depend on order.
// All four give the same numbers up to float rounding.

import Core
import Foundation
import NN
import Collective

final class GradientExchange {
    let strategy: RunConfig.AllreduceStrategy
    private let comm: Communicator
    private let buffer: UnsafeMutableBufferPointer<Float>      // [gradients (p) | 3 statistics]
    private let p: Int

    // bucketed: contiguous ranges of the buffer, tail first; each starts after its lowest layer
    private var buckets: [(range: Range<Int>, lowestLayer: Int)] = []
    private var pending: [PendingReduction] = []

    // exact: [gradients (p) | loss x 2^24, correct, samples, overflow flag, non-finite flag]
    let fixed: UnsafeMutableBufferPointer<Int64>
    /// log2 of the fixed-point scale; chosen from the previous step's largest |gradient| so that
    /// the sum over every micro-batch of the global batch stays below 2^62.
    var shift = 24
    static let statsShift = 24

    init(strategy: RunConfig.AllreduceStrategy, comm: Communicator, network: Network,
         buffer: UnsafeMutableBufferPointer<Float>, bucketMB: Double) {
        self.strategy = strategy
        self.comm = comm
        self.buffer = buffer
        p = network.parameterCount
        fixed = .allocate(capacity: strategy == .exact ? p + 5 : 1)
        fixed.initialize(repeating: 0)
        if strategy == .bucketed { planBuckets(network, bytes: Int(bucketMB * 1_048_576)) }
    }

    deinit { fixed.deallocate() }

    /// Buckets walk the layers from last to first (backward's order) and close at `bytes`.
    private func planBuckets(_ network: Network, bytes: Int) {
        var offsets: [Int] = [], offset = 0
        for layer in network.layers { offsets.append(offset); offset += layer.parameterCount }
        var hi = p + 3, size = 0
        for i in stride(from: network.layers.count - 1, through: 0, by: -1) where network.layers[i].parameterCount > 0 {
            size += network.layers[i].parameterCount * 4
            if size >= bytes || i == 0 || !network.layers[0..<i].contains(where: { $0.parameterCount > 0 }) {
                buckets.append((offsets[i] ..< hi, i))
                hi = offsets[i]; size = 0
            }
        }
        if buckets.isEmpty { buckets.append((0 ..< p + 3, 0)) }
        network.afterLayerBackward = { [unowned self] i in self.layerFinished(i) }
    }

    private func layerFinished(_ i: Int) {
        for b in buckets where b.lowestLayer == i {
            pending.append(comm.startAllreduceSum(UnsafeMutableBufferPointer(rebasing: buffer[b.range])))
        }
    }

    var bucketCount: Int { buckets.count }

    /// Called after the stall check (Communicator.arrive), right before `reduce` / `reduceFixed`:
    /// a barrier, so that every rank enters the blocking collective at once. After the stall check
    /// alone the other ranks enter as soon as they have announced and rank 0 only once it has seen
    /// every announcement; at 2 ranks on one host an allreduce entered so staggered took a median
    /// 6-20% longer (single runs up to 1.35x) than the same allreduce entered after a barrier
    /// (`dtrain bench train`'s alternating steps, three sets of runs), and the barrier adds a few us
    /// at most to the stall check. Not for bucketed: its reductions have been under way since
    /// backward, and a barrier there cost ~2% of images/s.
    func enterTogether() {
        if strategy != .bucketed { comm.barrier() }
    }

    /// Sums the buffer across ranks (flat, bucketed: on every rank; coordinator: on rank 0 only).
    /// The statistics must already be in place; for bucketed they are written before backward.
    func reduce() {
        switch strategy {
        case .flat, .exact:
            comm.allreduceSum(buffer)
        case .bucketed:
            for r in pending { comm.wait(r) }
            pending.removeAll(keepingCapacity: true)
        case .coordinator:
            comm.reduceSum(buffer, root: 0)
        }
    }

    /// Coordinator only: rank 0 shares the summed statistics, then (if finite) the new parameters.
    func shareStatistics() {
        comm.broadcast(UnsafeMutableBufferPointer(rebasing: buffer[p ..< p + 3]), root: 0)
    }
    func shareParameters(_ parameters: UnsafeMutableBufferPointer<Float>) {
        comm.broadcast(parameters, root: 0)
    }

    // MARK: exact

    /// Adds one micro-batch gradient (in the buffer's first p floats) in fixed point; flags an
    /// overflow instead of wrapping, and a NaN/Inf (divergence) instead of converting it.
    func accumulateFixed(gradient g: UnsafePointer<Float>, lossSum: Double, correct: Int, samples: Int,
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
            maxAbs = accumulateFixedChecked(g, q, scale: scale, limit: limit)
        }
        let loss = lossSum * Double(1 << Self.statsShift)
        if loss.isFinite, abs(loss) < 9e18 { q[p] &+= Int64(loss.rounded()) } else { q[p + 4] = 1 }
        q[p + 1] &+= Int64(correct)
        q[p + 2] &+= Int64(samples)
        return maxAbs
    }

    /// Element by element: NaN/Inf set the non-finite flag, |g·scale| >= limit the overflow flag;
    /// the others are added. Returns the largest finite |g|.
    private func accumulateFixedChecked(_ g: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Int64>,
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

    enum FixedOutcome { case summed, overflowed, nonFinite }

    /// Integer allreduce of the accumulated fixed-point sums, then the next step's scale from the
    /// largest |g| of any micro-batch (the same at every world size). `.overflowed`: every rank
    /// retries the step at the new, smaller scale; `.nonFinite`: some rank saw NaN/Inf (diverged).
    func reduceFixed(microBatches: Int, maxAbs localMax: Double) -> FixedOutcome {
        comm.allreduceSum(fixed)
        var largest = [localMax]
        largest.withUnsafeMutableBufferPointer { comm.allreduceMax($0) }
        if fixed[p + 4] != 0 { return .nonFinite }
        // the largest |g| times the number of micro-batches stays below 2^61
        let bound = max(largest[0], 1e-30) * Double(microBatches) * 2
        if bound.isFinite { shift = min(60, max(0, Int(floor(61 - log2(bound))))) }
        return fixed[p + 3] == 0 ? .summed : .overflowed
    }

    /// Converts the summed fixed point back: gradient = sum / 2^usedShift / microBatches.
    func decodeFixed(usedShift: Int, microBatches: Int) {
        let q = fixed.baseAddress!, g = buffer.baseAddress!
        let factor = 1 / (Double(sign: .plus, exponent: usedShift, significand: 1) * Double(microBatches))
        for i in 0..<p { g[i] = Float(Double(q[i]) * factor) }
        g[p] = Float(Double(q[p]) / Double(1 << Self.statsShift))
        g[p + 1] = Float(q[p + 1])
        g[p + 2] = Float(q[p + 2])
    }

    func clearFixed() { fixed.update(repeating: 0) }
}
