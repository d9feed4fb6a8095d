// flat: ONE allreduce over the whole exchange buffer [gradients | loss, correct, samples], entered
// by every rank together; every rank then applies the same SGD update to its replica. With
// train.compress: the gradients' 16-bit allreduce, then the 3 statistics' fp32 one.

import Core
import NN

final class FlatExchange: ExchangeStrategy {
    private let parts: ExchangeParts
    init(_ parts: ExchangeParts) { self.parts = parts }

    var kind: RunConfig.AllreduceStrategy { .flat }
    var updateIsBroadcast: Bool { false }

    func computeGradients(_ passes: BatchPasses) {
        passes.computeStep { parts.buffer.statistics = $0 }
    }

    /// A barrier first: at 2 ranks on one host an allreduce entered staggered (right after the
    /// stall check) took a median 6-20% longer than the same allreduce entered after a barrier
    /// (`dtrain bench train`'s alternating steps); the barrier adds a few us at most.
    func enterTogether() { parts.comm.barrier() }

    func exchange(_ passes: BatchPasses, lr: Float) {
        if let compressor = parts.compressor { compressor.allreduce(parts.comm) } else { parts.comm.allreduceSum(parts.buffer.whole) }
    }

    func update(lr: Float) { parts.applySummedGradients(lr: lr) }
}
