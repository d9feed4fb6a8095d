// How the ranks combine their gradients each step (train.allreduce), one type per strategy:
//   FlatExchange        ONE allreduce over [gradients | loss, correct, samples]; every rank updates
//   BucketedExchange    non-blocking allreduces of buckets started during the last backward
//   CoordinatorExchange reduce onto rank 0, rank 0 updates, then broadcasts the new parameters
//   ExactExchange       fixed-point integer sums over fixed micro-batches: bit-identical at any
//                       world size
// Each owns its whole step policy between loading the batch and the next step: the passes over
// this rank's samples, the exchange, and the update. All four give the same numbers up to float
// rounding. With train.compress (fp16 | bf16) flat, bucketed and coordinator send the gradients as
// 16-bit floats through `parts.compressor` (GradientCompression.swift); exact refuses it (RunConfig).
// The trainer calls, every step and on every rank:
//   computeGradients -> (observers, stall check) -> enterTogether -> exchange -> update

import Core
import NN
import Collective

protocol ExchangeStrategy: AnyObject {
    var kind: RunConfig.AllreduceStrategy { get }
    /// True when `update` is communication (the coordinator's parameter broadcast), so its time
    /// counts as exchange, not optimiser.
    var updateIsBroadcast: Bool { get }
    /// Forward and backward over this rank's samples of the step; leaves in the exchange buffer
    /// (or the strategy's own) what `exchange` combines, statistics included.
    func computeGradients(_ passes: BatchPasses)
    /// Right before `exchange`, after the stall check: every rank enters it together.
    func enterTogether()
    /// Combines across ranks. Afterwards `buffer.statistics` holds the global sums on every rank
    /// (a NaN loss when any rank diverged). May run `passes` again (exact's overflow retry).
    func exchange(_ passes: BatchPasses, lr: Float)
    /// Applies the step's update on every rank; called only when the step's loss is finite.
    func update(lr: Float)
}

/// What every strategy works on: the ranks, the replica, the buffer it sums and the optimiser.
struct ExchangeParts {
    let comm: Communicator
    let network: Network
    let buffer: ExchangeBuffer
    let optimizer: Optimizer
    /// Micro-steps per exchange (train.accumulate): the summed gradient covers world x K batches.
    let accumulate: Int
    /// train.compress: the 16-bit wire path (nil: fp32); set by makeExchangeStrategy.
    var compressor: GradientCompressor? = nil

    /// The optimiser's step on the summed per-batch-mean gradients: scaled by 1 / (world size x
    /// accumulate) inside the update, so averaging costs no pass of its own.
    func applySummedGradients(lr: Float) { applyGradients(lr: lr, gradScale: 1 / Float(comm.size * accumulate)) }

    /// The optimiser's step (any train.optimizer) on the buffer's gradients times `gradScale`.
    func applyGradients(lr: Float, gradScale: Float) {
        optimizer.step(parameters: network.parameters.baseAddress!, gradients: buffer.gradients.baseAddress!,
                       count: network.parameterCount, lr: lr, gradScale: gradScale)
    }
}

/// The strategy that `train.allreduce` names.
func makeExchangeStrategy(_ kind: RunConfig.AllreduceStrategy, parts: ExchangeParts, train: RunConfig.TrainConfig) -> ExchangeStrategy {
    var parts = parts
    if kind != .exact, let format = train.compress {       // exact with compress: refused by RunConfig.parse
        parts.compressor = GradientCompressor(format: format, feedback: train.compressFeedback, buffer: parts.buffer)
    }
    switch kind {
    case .flat: return FlatExchange(parts)
    case .bucketed: return BucketedExchange(parts, bucketBytes: Int(train.bucketMB * 1_048_576))
    case .coordinator: return CoordinatorExchange(parts)
    case .exact:
        return ExactExchange(parts, microBatch: train.exactMicroBatch,
                             globalMicroBatches: parts.comm.size * train.batchSize * train.accumulate / train.exactMicroBatch)
    }
}
