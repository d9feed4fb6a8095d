// bucketed: the exchange buffer cut into buckets of about train.bucket_mb, walking the layers from
// last to first (backward's order), so the tail bucket holds the statistics. During the step's
// LAST backward, as soon as a bucket's lowest layer is done its non-blocking allreduce starts and
// overlaps the rest of backward; `exchange` waits for all of them. (With train.accumulate > 1 the
// earlier micro-steps only accumulate: their gradients are not final.) With train.compress a
// bucket's gradients are rounded into 16 bits when it starts and widened after `exchange`'s waits;
// the tail bucket's 3 statistics go in an fp32 reduction of their own.

import Core
import NN
import Collective

final class BucketedExchange: ExchangeStrategy {
    private let parts: ExchangeParts
    /// Contiguous ranges of the exchange buffer, tail first; each starts after its lowest layer.
    private(set) var buckets: [(range: Range<Int>, lowestLayer: Int)] = []
    private var pending: [PendingReduction] = []
    private var armed = false                      // true during the step's last backward

    init(_ parts: ExchangeParts, bucketBytes: Int) {
        self.parts = parts
        planBuckets(bytes: bucketBytes)
        pending.reserveCapacity(buckets.count + 1)   // + the statistics' own reduction when compressed
        parts.network.afterLayerBackward = { [unowned self] i in self.layerFinished(i) }
    }

    var kind: RunConfig.AllreduceStrategy { .bucketed }
    var updateIsBroadcast: Bool { false }

    /// Buckets walk the layers from last to first and close at `bytes`.
    private func planBuckets(bytes: Int) {
        let layers = parts.network.layers, total = parts.buffer.whole.count
        var offsets: [Int] = [], offset = 0
        for layer in layers { offsets.append(offset); offset += layer.parameterCount }
        var hi = total, size = 0
        for i in stride(from: layers.count - 1, through: 0, by: -1) where layers[i].parameterCount > 0 {
            size += layers[i].parameterCount * 4
            if size >= bytes || i == 0 || !layers[0..<i].contains(where: { $0.parameterCount > 0 }) {
                buckets.append((offsets[i] ..< hi, i))
                hi = offsets[i]; size = 0
            }
        }
        if buckets.isEmpty { buckets.append((0 ..< total, 0)) }
    }

    private func layerFinished(_ i: Int) {
        guard armed else { return }
        for b in buckets where b.lowestLayer == i {
            guard let compressor = parts.compressor else {
                pending.append(parts.comm.startAllreduceSum(parts.buffer.span(b.range)))
                continue
            }
            let gradients = compressor.gradientPart(b.range)
            if !gradients.isEmpty {
                compressor.encode(gradients)
                pending.append(parts.comm.startAllreduceSum(compressor.wireSpan(gradients), format: compressor.format))
            }
            if b.range.upperBound > parts.buffer.parameterCount {
                pending.append(parts.comm.startAllreduceSum(parts.buffer.statisticsSpan))
            }
        }
    }

    /// The statistics are written before the last backward: the tail bucket starts inside it.
    func computeGradients(_ passes: BatchPasses) {
        passes.computeStep { parts.buffer.statistics = $0; armed = true }
        armed = false
    }

    /// No barrier: the reductions have been under way since backward (a barrier cost ~2% of images/s).
    func enterTogether() {}

    func exchange(_ passes: BatchPasses, lr: Float) {
        for r in pending { parts.comm.wait(r) }
        pending.removeAll(keepingCapacity: true)
        parts.compressor?.decode(0 ..< parts.buffer.parameterCount)
    }

    func update(lr: Float) { parts.applySummedGradients(lr: lr) }
}
