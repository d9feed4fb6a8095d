// Losses over a batch of logits (N, K) and integer labels (N).
//   softmax cross-entropy : loss_b = logsumexp(z_b) - sum_j q_j z_b[j];  dz = (softmax(z) - q) * scale,
//                           q = (1 - eps) onehot(label_b) + eps / K  (label smoothing eps, PyTorch's
//                           CrossEntropyLoss(label_smoothing=eps); eps = 0: q = onehot)
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
    /// `predictions`, if given, receives the arg-max class of each sample. `labelSmoothing` in
    /// [0, 1) applies to softmax cross-entropy only (the logistic loss ignores it).
    public func evaluate(logits z: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch n: Int, classes k: Int,
                         gradient: UnsafeMutablePointer<Float>? = nil, scale: Float = 1,
                         predictions: UnsafeMutablePointer<Int32>? = nil, labelSmoothing: Float = 0) -> LossStats {
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
                if labelSmoothing == 0 {
                    stats.lossSum += logSum - Double(row[label])
                } else {
                    // (1 - eps) (logSum - z_label) + (eps / K) sum_j (logSum - z_j)
                    var rowSum: Double = 0
                    for j in 0..<k { rowSum += Double(row[j]) }
                    let eps = Double(labelSmoothing)
                    stats.lossSum += logSum - (1 - eps) * Double(row[label]) - eps / Double(k) * rowSum
                }
                if arg == label { stats.correct += 1 }
                // rank of the label: how many logits beat it (ties resolved in the label's favour)
                var above = 0
                for j in 0..<k where row[j] > row[label] { above += 1 }
                if above < 5 { stats.top5 += 1 }
                predictions?[b] = Int32(arg)
                if let g = gradient {
                    let gr = g + b * k
                    if labelSmoothing == 0 {
                        for j in 0..<k { gr[j] = Float(exp(Double(row[j]) - logSum)) * scale }
                        gr[label] -= scale
                    } else {
                        let uniform = Double(labelSmoothing) / Double(k), onLabel = 1 - Double(labelSmoothing)
                        for j in 0..<k { gr[j] = Float(exp(Double(row[j]) - logSum) - uniform) * scale }
                        gr[label] -= Float(onLabel) * scale
                    }
                }
            }
        }
        return stats
    }
}
