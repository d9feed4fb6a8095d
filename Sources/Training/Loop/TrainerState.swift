// What the trainer tells about its run beyond the loop: the run's length, the replica check, and
// the exchange strategy's state (bucket boundaries, the exact strategy's fixed-point scale).

import Core
import NN

extension Trainer {
    /// Total global steps of the run (epochs x steps per epoch, capped by train.max_steps).
    public var totalSteps: Int {
        let all = config.train.epochs * shards.stepsPerEpoch
        return min(all, config.train.maxSteps ?? all)
    }

    /// The bucketed strategy's buckets (ranges of the exchange buffer, tail first); empty otherwise.
    public var exchangeBuckets: [Range<Int>] { (strategy as? BucketedExchange)?.buckets.map(\.range) ?? [] }
    /// The exact strategy's fixed-point scale (log2), settable to test the overflow retry; nil otherwise.
    public var exactShift: Int? {
        get { (strategy as? ExactExchange)?.shift }
        set { if let newValue { (strategy as? ExactExchange)?.shift = newValue } }
    }

    /// Every rank's parameters must be bit-identical: gathers a checksum of each replica.
    public func verifyReplicas() throws -> String {
        let mine = String(fnv1a64(UnsafeRawBufferPointer(network.parameters)), radix: 16)
        let all = comm.allgather(mine)
        guard Set(all).count == 1 else { throw ReplicasDiverged(checksums: all) }
        return mine
    }
}
