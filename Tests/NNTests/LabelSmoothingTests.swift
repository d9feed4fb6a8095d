// Softmax cross-entropy with label smoothing eps, as PyTorch's CrossEntropyLoss(label_smoothing=eps):
//   loss = -sum_j q_j log softmax(z)_j,  q = (1 - eps) onehot + eps / K;   dL/dz = softmax(z) - q
// worked by hand for one row, checked by central differences on a batch, and eps = 0 giving the
// plain loss and gradient bit for bit.

import Core
import Foundation
import NN
import XCTest

final class LabelSmoothingTests: XCTestCase {
    private func evaluate(_ z: [Float], labels: [Int32], classes k: Int, eps: Float) -> (LossStats, [Float]) {
        var gradient = [Float](repeating: 0, count: z.count)
        let stats = z.withUnsafeBufferPointer { zp in
            labels.withUnsafeBufferPointer { lp in
                gradient.withUnsafeMutableBufferPointer { gp in
                    LossFunction.softmaxCrossEntropy.evaluate(logits: zp.baseAddress!, labels: lp.baseAddress!, batch: labels.count,
                                                              classes: k, gradient: gp.baseAddress!, scale: 1, labelSmoothing: eps)
                }
            }
        }
        return (stats, gradient)
    }

    func testOneRowByHand() {
        // z = [1, 2, 3], label 0, eps 0.1, K = 3: q = [0.9 + 0.1/3, 0.1/3, 0.1/3]
        let (stats, g) = evaluate([1, 2, 3], labels: [0], classes: 3, eps: 0.1)
        let logSum = log(exp(1.0) + exp(2.0) + exp(3.0))          // 3.4076059644
        // loss = logSum - 0.9 * 1 - (0.1 / 3) * (1 + 2 + 3) = logSum - 1.1 = 2.3076059644
        XCTAssertEqual(stats.lossSum, logSum - 1.1, accuracy: 1e-6)
        XCTAssertEqual(stats.lossSum, 2.3076059644, accuracy: 1e-6)
        let softmax = [1.0, 2.0, 3.0].map { exp($0 - logSum) }     // 0.0900306, 0.2447285, 0.6652410
        let q = [0.9 + 0.1 / 3, 0.1 / 3, 0.1 / 3]
        for j in 0..<3 { XCTAssertEqual(Double(g[j]), softmax[j] - q[j], accuracy: 1e-6, "class \(j)") }
        XCTAssertEqual(Double(g[0]), 0.0900306 - 0.9333333, accuracy: 1e-6)
        XCTAssertEqual(g.reduce(0, +), 0, accuracy: 1e-6, "q and softmax both sum to 1")
        XCTAssertEqual(stats.correct, 0)         // arg-max is class 2: accuracy ignores smoothing
    }

    func testZeroSmoothingIsThePlainLoss() {
        let z: [Float] = [0.3, -1.2, 2.0, 0.7, 0.1, -0.4, 1.5, 0.0]
        let (a, ga) = evaluate(z, labels: [2, 0], classes: 4, eps: 0)
        var plain = [Float](repeating: 0, count: z.count)
        let b = z.withUnsafeBufferPointer { zp in
            [Int32(2), 0].withUnsafeBufferPointer { lp in
                plain.withUnsafeMutableBufferPointer {
                    LossFunction.softmaxCrossEntropy.evaluate(logits: zp.baseAddress!, labels: lp.baseAddress!, batch: 2, classes: 4,
                                                              gradient: $0.baseAddress!)
                }
            }
        }
        XCTAssertEqual(a, b)
        XCTAssertEqual(ga, plain)
    }

    func testGradientByCentralDifferences() {
        let k = 5
        var z: [Float] = [0.3, -1.2, 2.0, 0.7, 0.1, -0.4, 1.5, 0.0, 0.9, -0.8, 0.2, 0.25, -0.3, 1.1, 0.6]
        let labels: [Int32] = [2, 4, 0]
        let (_, g) = evaluate(z, labels: labels, classes: k, eps: 0.2)
        let h: Float = 1e-2
        for i in 0..<z.count {
            let saved = z[i]
            z[i] = saved + h; let up = evaluate(z, labels: labels, classes: k, eps: 0.2).0.lossSum
            z[i] = saved - h; let down = evaluate(z, labels: labels, classes: k, eps: 0.2).0.lossSum
            z[i] = saved
            XCTAssertEqual(Double(g[i]), (up - down) / Double(2 * h), accuracy: 2e-4, "logit \(i)")
        }
    }
}
