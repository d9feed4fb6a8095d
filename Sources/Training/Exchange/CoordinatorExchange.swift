// coordinator: the parameter-server pattern. The buffer is summed onto rank 0 only (MPI_Reduce);
// rank 0 updates its replica when the step's loss is finite, broadcasts the summed statistics,
// and then (update) the new parameters to every rank. With train.compress the gradients are
// reduced as 16-bit floats (the parameters are still broadcast in fp32).

import Core
import NN

final class CoordinatorExchange: ExchangeStrategy {
    private let parts: ExchangeParts
    init(_ parts: ExchangeParts) { self.parts = parts }

    var kind: RunConfig.AllreduceStrategy { .coordinator }
    var updateIsBroadcast: Bool { true }

    func computeGradients(_ passes: BatchPasses) {
        passes.computeStep { parts.buffer.statistics = $0 }
    }

    func enterTogether() { parts.comm.barrier() }

    func exchange(_ passes: BatchPasses, lr: Float) {
        let comm = parts.comm
        if let compressor = parts.compressor { compressor.reduce(comm, root: 0) } else { comm.reduceSum(parts.buffer.whole, root: 0) }
        if comm.rank == 0, parts.buffer.statistics.meanLoss.isFinite { parts.applySummedGradients(lr: lr) }
        comm.broadcast(parts.buffer.statisticsSpan, root: 0)
    }

    /// Rank 0 already updated inside `exchange`: every rank receives its parameters.
    func update(lr: Float) { parts.comm.broadcast(parts.network.parameters, root: 0) }
}
