// BatchNorm across ranks. With `sync` (the default) every training forward and backward of a
// BatchNorm layer sums its per-channel statistics over all ranks (one small Double allreduce each:
// [Σx, Σx², count] forward, [Σdy, Σdy·x̂] backward), so the layer normalises with the mean and
// variance of the global batch and the running statistics are the same on every rank. The exact
// strategy computes each fixed micro-batch alone, so there BatchNorm normalises over the
// micro-batch (world-size invariant as the micro-batches are) and is not summed; its running
// statistics are then rank 0's micro-batches' (they depend on the world size: only the weights are
// bit-identical across world sizes). Where the
// statistics are not summed (sync: false, exact), rank 0's running statistics are what every rank
// keeps: `shareState` broadcasts them before evaluation and after a resume.

import Collective
import Core
import NN

/// Sums BatchNorm's statistics over the ranks of `comm`.
/// Sums BatchNorm's statistics over the ranks of `comm`, and clocks it (the bench reports it).
final class CommunicatorStatistics: StatisticsReducer {
    let comm: Communicator
    /// Seconds spent in the sums so far.
    var seconds = 0.0
    init(comm: Communicator) { self.comm = comm }
    func sum(_ values: UnsafeMutablePointer<Double>, count: Int) {
        let t0 = monotonicSeconds()
        comm.allreduceSum(UnsafeMutableBufferPointer(start: values, count: count))
        seconds += monotonicSeconds() - t0
    }
}

extension Trainer {
    /// Seconds this rank spent summing BatchNorm statistics across ranks (nil: none are summed).
    public var batchNormSyncSeconds: Double? { statistics?.seconds }

    /// Whether BatchNorm's per-step statistics are summed across ranks in this run.
    static func syncsBatchNorm(_ t: RunConfig.TrainConfig, worldSize: Int) -> Bool { worldSize > 1 && t.allreduce != .exact }

    /// Rank 0's running statistics and batch counters on every rank (no-op without BatchNorm).
    func shareState() { broadcastBatchNormState(network, comm: comm) }
}

/// Rank 0's BatchNorm running statistics and batch counters on every rank (resume, evaluation of
/// a checkpoint that rank 0 read; no-op without BatchNorm or at one rank).
func broadcastBatchNormState(_ network: Network, comm: Communicator) {
    guard !network.batchNorms.isEmpty, comm.size > 1 else { return }
    comm.broadcast(network.state, root: 0)
    let counts = network.batchNorms.map(\.numBatchesTracked)
    let bytes = comm.broadcast(bytes: counts.withUnsafeBytes { Array($0) }, root: 0)
    bytes.withUnsafeBytes { raw in
        for (i, bn) in network.batchNorms.enumerated() { bn.numBatchesTracked = raw.load(fromByteOffset: 8 * i, as: Int64.self) }
    }
}

/// A copy of BatchNorm's running statistics and counters, to undo passes that are redone (the
/// exact strategy's overflow retry). Allocates once, at the first mark.
final class BatchNormSnapshot {
    private var state: [Float] = []
    private var counts: [Int64] = []

    func mark(_ network: Network) {
        guard !network.batchNorms.isEmpty else { return }
        if state.count != network.state.count { state = Array(network.state); counts = network.batchNorms.map(\.numBatchesTracked); return }
        for i in state.indices { state[i] = network.state[i] }
        for (i, bn) in network.batchNorms.enumerated() { counts[i] = bn.numBatchesTracked }
    }

    func restore(_ network: Network) {
        guard !network.batchNorms.isEmpty, state.count == network.state.count else { return }
        for i in state.indices { network.state[i] = state[i] }
        for (i, bn) in network.batchNorms.enumerated() { bn.numBatchesTracked = counts[i] }
    }
}
