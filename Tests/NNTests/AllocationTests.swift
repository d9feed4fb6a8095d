// The training step allocates nothing once reserved: buffers keep their identity across repeated
// forward/backward passes (at the reserved batch size or smaller), gradients can live in a caller's
// buffer, and repeated passes give bit-identical results (no stale state in cached workspaces).

import Core
import XCTest
import NN

final class AllocationTests: XCTestCase {
    private let yaml = """
        input: [2, 12, 10]
        layers:
          - conv: {out: 6, kernel: 3, pad: 1}
          - relu
          - lrn: {size: 3}
          - maxpool: {kernel: 2}
          - conv: {out: 8, kernel: [3, 2], stride: 2}
          - tanh
          - avgpool: {kernel: 2, stride: 1}
          - flatten
          - dropout: {p: 0.25}
          - linear: {out: 16}
          - sigmoid
          - linear: {out: 5}
        """

    private func step(_ net: Network, _ x: FloatBuffer, _ labels: [Int32], batch n: Int, epoch: Int) -> Double {
        let context = PassContext(training: true, seed: 9, epoch: epoch)
        let z = net.forward(x.pointer, batch: n, context: context)
        let stats = labels.withUnsafeBufferPointer {
            LossFunction.softmaxCrossEntropy.evaluate(logits: z, labels: $0.baseAddress!, batch: n, classes: 5,
                                                      gradient: net.outputGradient, scale: 1 / Float(n))
        }
        net.zeroGradients()
        net.backward()
        return stats.lossSum
    }

    private func pointers(_ net: Network) -> [UnsafeMutablePointer<Float>] {
        (0..<net.layers.count).flatMap { [net.activation($0), net.activationGradient($0)] }
            + [net.outputGradient, net.parameters.baseAddress!, net.gradients.baseAddress!]
    }

    func testBuffersKeepTheirIdentity() throws {
        let net = try Network(spec: ModelSpec.parse(yaml: yaml))
        net.initialize(seed: 1)
        net.reserve(batch: 8)
        let before = pointers(net)
        let x = buffer(randomArray(8 * net.inputShape.count, seed: 2))
        let labels: [Int32] = [0, 1, 2, 3, 4, 0, 1, 2]
        for (i, n) in [8, 5, 8, 1, 8].enumerated() {
            _ = step(net, x, Array(labels[0..<n]), batch: n, epoch: i)
            XCTAssertEqual(pointers(net), before, "pass \(i) (batch \(n)) moved a buffer")
        }
        net.reserve(batch: 4)                 // smaller than reserved: a no-op
        XCTAssertEqual(pointers(net), before)
        let z = net.forward(x.pointer, batch: 8, context: .inference)
        XCTAssertEqual(z, net.activation(net.layers.count - 1))
    }

    func testRepeatedPassesAreIdentical() throws {
        let net = try Network(spec: ModelSpec.parse(yaml: yaml))
        net.initialize(seed: 3)
        let x = buffer(randomArray(6 * net.inputShape.count, seed: 4))
        let labels: [Int32] = [4, 3, 2, 1, 0, 4]
        let loss1 = step(net, x, labels, batch: 6, epoch: 0)
        let grads1 = Array(net.gradients)
        _ = step(net, x, Array(labels[0..<2]), batch: 2, epoch: 1)   // a different pass in between
        let loss2 = step(net, x, labels, batch: 6, epoch: 0)
        XCTAssertEqual(loss1, loss2)
        XCTAssertEqual(grads1, Array(net.gradients))
        XCTAssertTrue(grads1.contains { $0 != 0 })
    }

    func testGradientsInCallerStorage() throws {
        let plan = try NetworkPlan(ModelSpec.parse(yaml: yaml))
        let exchange = ExchangeBuffer(parameterCount: plan.parameterCount)   // [gradients | loss, correct, samples]
        let net = Network(plan: plan, exchange: exchange)
        net.initialize(seed: 5)
        XCTAssertEqual(net.gradients.baseAddress, exchange.whole.baseAddress)
        XCTAssertEqual(net.gradients.count, plan.parameterCount)
        let x = buffer(randomArray(3 * net.inputShape.count, seed: 6))
        _ = step(net, x, [0, 1, 2], batch: 3, epoch: 0)
        XCTAssertTrue((0..<plan.parameterCount).contains { exchange.whole[$0] != 0 })
        XCTAssertEqual(exchange.statistics, StepStatistics(lossSum: 0, correct: 0, samples: 0), "nothing written past the gradients")
    }
}
