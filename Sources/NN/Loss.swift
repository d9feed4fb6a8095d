// Losses over a batch of logits (N, K) and integer labels (N).
//   softmax cross-entropy : loss_b = logsumexp(z_b) - z_b[label_b];  dz = (softmax(z) - onehot) * scale
//   logistic (K == 1)     : loss_b = softplus(z_b) - t_b z_b, t_b in {0, 1};  dz = (sigmoid(z) - t) * scale
// `scale` is 1/N for a mean over the local batch. Returned sums are over the batch (not means), so
// that ranks can add them with an allreduce.

import Core
import Foundation

public enum LossFunction: Equatable, Sendable {
    case softmaxCrossEntropy
    case logistic

    public static func forOutputs(_ k: Int) -> LossFunction { k == 1 ? .logistic : .softmaxCrossEntropy }
}

public struct LossStats: Equatable, Sendable {
    public var lossSum: Double = 0
    public var correct: Int = 0      // top-1 (or threshold 0.5 for logistic)
    public var top5: Int = 0         // label among the 5 largest logits (= correct when K <= 5)
    public var count: Int = 0
    public init() {}
    public static func += (a: inout LossStats, b: LossStats) {
        a.lossSum += b.lossSum; a.correct += b.correct; a.top5 += b.top5; a.count += b.count
    }
}

extension LossFunction {
    /// Computes the loss statistics of `n` samples and, if `gradient` is given, writes dL/dz * scale.
    /// `predictions`, if given, receives the arg-max class of each sample.
    public func evaluate(logits z: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch n: Int, classes k: Int,
                         gradient: UnsafeMutablePointer<Float>? = nil, scale: Float = 1,
                         predictions: UnsafeMutablePointer<Int32>? = nil) -> LossStats {
        var stats = LossStats()
        stats.count = n
        switch self {
        case .logistic:
            for b in 0..<n {
                let v = z[b], t: Float = labels[b] != 0 ? 1 : 0
                // softplus(v) - t v, computed without overflow
                let loss = Double(max(v, 0) - t * v + log1pf(expf(-abs(v))))
                stats.lossSum += loss
                let s = v >= 0 ? 1 / (1 + expf(-v)) : expf(v) / (1 + expf(v))
                let predicted: Int32 = v > 0 ? 1 : 0
                if predicted == (t > 0 ? 1 : 0) { stats.correct += 1; stats.top5 += 1 }
                predictions?[b] = predicted
                gradient?[b] = (s - t) * scale
            }
        case .softmaxCrossEntropy:
            for b in 0..<n {
                let row = z + b * k
                let label = Int(labels[b])
                var maxV = row[0], arg = 0
                for j in 1..<max(k, 1) where row[j] > maxV { maxV = row[j]; arg = j }
                var sum: Double = 0
                for j in 0..<k { sum += Double(expf(row[j] - maxV)) }
                let logSum = log(sum) + Double(maxV)
                stats.lossSum += logSum - Double(row[label])
                if arg == label { stats.correct += 1 }
                // rank of the label: how many logits beat it (ties resolved in the label's favour)
                var above = 0
                for j in 0..<k where row[j] > row[label] { above += 1 }
                if above < 5 { stats.top5 += 1 }
                predictions?[b] = Int32(arg)
                if let g = gradient {
                    let gr = g + b * k
                    for j in 0..<k { gr[j] = Float(exp(Double(row[j]) - logSum)) * scale }
                    gr[label] -= scale
                }
            }
        }
        return stats
    }
}
