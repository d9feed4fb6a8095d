// Forward and backward over this rank's loaded samples of one global step: the part of the step
// every exchange strategy shares. The loader holds this rank's slice of the global batch,
// batch_size x accumulate samples (N, C, H, W); a pass covers `count` of them from `offset`
// (batch_size for a micro-step, train.micro_batch for exact). Backward ACCUMULATES into the
// network's gradients (the exchange buffer), so K micro-steps after one zeroing sum K per-batch
// mean gradients. Also counts this rank's own-shard accuracy for the epoch.

import Core
import NN

final class BatchPasses {
    let network: Network
    let loader: BatchLoader
    let lossFunction: LossFunction
    /// train.label_smoothing (softmax cross-entropy): the training loss and its gradient use it;
    /// evaluation (Evaluator) reports the plain cross-entropy, as timm validates.
    let labelSmoothing: Float
    /// Samples per micro-step (train.batch_size).
    let microStep: Int
    /// Micro-steps per exchange (train.accumulate).
    let accumulate: Int
    /// This rank's samples per global step: microStep x accumulate.
    var samples: Int { microStep * accumulate }
    /// The step's pass context (epoch, seed; sample IDs are set per pass).
    var context = PassContext(training: true)
    /// This rank's correct predictions and samples seen this epoch (its own shard).
    var ownCorrect = 0, ownSeen = 0
    /// When the last forward pass (and its loss) finished: a single-pass step's backward starts here.
    private(set) var lastForwardDone = 0.0
    private var marked = (correct: 0, seen: 0)

    init(network: Network, loader: BatchLoader, lossFunction: LossFunction, labelSmoothing: Float = 0, microStep: Int,
         accumulate: Int) {
        self.network = network
        self.loader = loader
        self.lossFunction = lossFunction
        self.labelSmoothing = labelSmoothing
        self.microStep = microStep
        self.accumulate = accumulate
    }

    /// Forward and loss over `count` loaded samples starting at `offset`; writes dLoss/dlogits
    /// (the mean over those samples) for `backward` and counts own-shard accuracy.
    func forwardLoss(offset: Int, count: Int) -> LossStats {
        var context = context
        context.sampleIDs = UnsafePointer(loader.sampleIDs + offset)
        let k = network.outputShape.count
        let logits = network.forward(loader.x.pointer + offset * network.inputShape.count, batch: count, context: context)
        let stats = lossFunction.evaluate(logits: logits, labels: loader.labels + offset, batch: count, classes: k,
                                          gradient: network.outputGradient, scale: 1 / Float(count),
                                          labelSmoothing: labelSmoothing)
        ownCorrect += stats.correct; ownSeen += count
        lastForwardDone = monotonicSeconds()
        return stats
    }

    /// Backpropagates the last forward; adds to the gradients.
    func backward() { network.backward() }

    /// Zeroes the gradients, then forward + backward over each micro-step of the loaded samples in
    /// order. `beforeLastBackward` gets this rank's summed statistics right before the last
    /// backward (where bucketed must have them in place).
    func computeStep(beforeLastBackward: (StepStatistics) -> Void) {
        network.zeroGradients()
        var lossSum = 0.0, correct = 0
        for j in 0..<accumulate {
            let stats = forwardLoss(offset: j * microStep, count: microStep)
            lossSum += stats.lossSum; correct += stats.correct
            if j == accumulate - 1 {
                beforeLastBackward(StepStatistics(lossSum: Float(lossSum), correct: Float(correct), samples: Float(samples)))
            }
            backward()
        }
    }

    /// Remembers the own-shard counts, for a step that may be computed again (exact's retry).
    func markOwnShard() { marked = (ownCorrect, ownSeen) }
    func restoreOwnShard() { (ownCorrect, ownSeen) = marked }
}
