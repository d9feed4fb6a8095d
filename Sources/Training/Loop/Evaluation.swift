// Evaluation split across ranks: rank r scores the contiguous range evaluationRange(count, r, p),
// so every image is scored exactly once at any world size (no padding duplicates), and the sums
// (loss, top-1, top-5, count, optionally the confusion matrix) are added with one allreduce.
// Forward passes run in chunks of at most `chunkLimit` images (train.eval_batch caps it lower), so
// evaluation never sizes the network's activation and im2col buffers beyond a training-like batch.

import Core
import NN
import Datasets
import Collective

public struct EvaluationResult: Sendable {
    public var loss: Double          // mean over the set
    public var accuracy: Double      // top-1, percent
    public var top5: Double          // percent
    public var count: Int
    public var confusion: [Int]?     // (classes x classes), row = true label, column = prediction
    public var classes: Int
}

public final class Evaluator {
    /// The largest forward pass evaluation asks of the network.
    public static let chunkLimit = 64
    private let network: Network
    private let loader: BatchLoader
    private let comm: Communicator
    private let loss: LossFunction
    private let batch: Int
    private let scratch: UnsafeMutablePointer<Int32>
    private let predictions: UnsafeMutablePointer<Int32>
    public let classes: Int

    public init(network: Network, set: ImageSet, comm: Communicator, batch: Int,
                normalization: Normalization?, positiveClass: Int?) {
        self.network = network
        self.comm = comm
        let batch = max(1, min(batch, Self.chunkLimit))
        self.batch = batch
        loader = BatchLoader(set: set, capacity: batch, normalization: normalization, positiveClass: positiveClass)
        loss = LossFunction.forOutputs(network.outputShape.count)
        classes = max(network.outputShape.count, 2)
        scratch = .allocate(capacity: batch)
        predictions = .allocate(capacity: batch)
    }

    deinit { scratch.deallocate(); predictions.deallocate() }

    public func run(confusion wantConfusion: Bool = false) throws -> EvaluationResult {
        let set = loader.set
        let range = evaluationRange(count: set.count, rank: comm.rank, worldSize: comm.size)
        let k = network.outputShape.count
        var stats = LossStats()
        var matrix = [Double](repeating: 0, count: wantConfusion ? classes * classes : 0)
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + batch, range.upperBound)
            let n = end - start
            try loader.load(range: start..<end, scratch: scratch)
            let logits = network.forward(loader.x.pointer, batch: n, context: .inference)
            stats += loss.evaluate(logits: logits, labels: loader.labels, batch: n, classes: k, predictions: predictions)
            if wantConfusion {
                for i in 0..<n { matrix[Int(loader.labels[i]) * classes + Int(predictions[i])] += 1 }
            }
            start = end
        }
        var sums = [stats.lossSum, Double(stats.correct), Double(stats.top5), Double(stats.count)] + matrix
        sums.withUnsafeMutableBufferPointer { comm.allreduceSum($0) }
        let count = max(sums[3], 1)
        return EvaluationResult(loss: sums[0] / count, accuracy: 100 * sums[1] / count, top5: 100 * sums[2] / count,
                                count: Int(sums[3]), confusion: wantConfusion ? sums[4...].map { Int($0) } : nil,
                                classes: classes)
    }
}
