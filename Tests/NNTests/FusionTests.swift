// Fused passes (PassPlan.swift: flatten as a view, ReLU stored by the convolution before it, the
// ReLU's mask applied by a max pool after it) give exactly the numbers of plain passes — logits and
// every parameter gradient — for each convolution algorithm and each kind of layer after the ReLU;
// and a plain pass still shows each layer's own output (a convolution's before its ReLU).

import Core
import XCTest
import NN

final class FusionTests: XCTestCase {
    /// Runs forward, softmax loss and backward with `fuses`; returns (logits, gradients).
    private func pass(_ net: Network, fuses: Bool, x: FloatBuffer, labels: [Int32], batch n: Int) -> ([Float], [Float]) {
        net.fuses = fuses
        net.zeroGradients()
        let z = net.forward(x.pointer, batch: n, context: PassContext(training: true, seed: 5, epoch: 1))
        let classes = net.outputShape.count
        labels.withUnsafeBufferPointer {
            _ = LossFunction.softmaxCrossEntropy.evaluate(logits: z, labels: $0.baseAddress!, batch: n, classes: classes,
                                                          gradient: net.outputGradient, scale: 1 / Float(n))
        }
        let logits = Array(UnsafeBufferPointer(start: z, count: n * classes))
        net.backward()
        return (logits, Array(net.gradients))
    }

    private func assertFusedEqualsPlain(_ net: Network, batch n: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        net.initialize(seed: seed)
        let x = buffer(randomArray(n * net.inputShape.count, seed: seed + 1))
        let labels = (0..<n).map { Int32($0 % net.outputShape.count) }
        let plain = pass(net, fuses: false, x: x, labels: labels, batch: n)
        let fused = pass(net, fuses: true, x: x, labels: labels, batch: n)
        XCTAssertEqual(fused.0, plain.0, "logits", file: file, line: line)
        XCTAssertEqual(fused.1, plain.1, "parameter gradients", file: file, line: line)
        XCTAssertTrue(plain.1.contains { $0 != 0 }, file: file, line: line)
        // and back: a plain pass after fused ones is unchanged
        XCTAssertEqual(pass(net, fuses: false, x: x, labels: labels, batch: n).1, plain.1, file: file, line: line)
    }

    func testLeNet5() throws {
        let net = try Network(spec: ModelSpec.load(path: modelPath("lenet5")))
        assertFusedEqualsPlain(net, batch: 5, seed: 11)
        XCTAssertTrue(net.layers.indices.allSatisfy(net.ranForward), "the last pass was plain")
        net.fuses = true
        let one = buffer(randomArray(net.inputShape.count, seed: 1))
        net.forward(one.pointer, batch: 1, context: .inference)
        let names = net.layers.enumerated().filter { !net.ranForward($0.offset) }.map { $0.element.name }
        XCTAssertEqual(names, ["relu1", "relu2", "flatten1"])
    }

    /// Every convolution algorithm with a fused ReLU, followed by: a 2x2 max pool (mask, ReLU
    /// skipped), a 3x3/2 max pool with overlapping windows (mask, general backward), an average
    /// pool and a convolution (ReLU backward in place); a ReLU that ends the network stays.
    func testEveryAlgorithmAndConsumer() throws {
        let yaml = """
            input: [2, 36, 36]
            layers:
              - conv: {out: 4, kernel: 3, stride: 2}
              - relu
              - maxpool: {kernel: 3, stride: 2}
              - conv: {out: 6, kernel: 3, pad: 1}
              - relu
              - conv: {out: 6, kernel: 3, pad: 1}
              - relu
              - maxpool: {kernel: 2}
              - conv: {out: 40, kernel: 3, stride: 2, pad: 1}
              - relu
              - avgpool: {kernel: 2}
              - flatten
              - linear: {out: 4}
              - relu
            """
        let net = try Network(spec: ModelSpec.parse(yaml: yaml))
        let algorithms = net.layers.compactMap { ($0 as? Conv2D)?.algorithm }
        XCTAssertEqual(Set(algorithms), [.perSampleGEMM, .direct, .batchGEMM], "\(algorithms)")
        assertFusedEqualsPlain(net, batch: 3, seed: 21)
        XCTAssertTrue(net.ranForward(net.layers.count - 1), "the last layer always runs")
    }

    /// A plain pass keeps each layer's own output; a fused one leaves the ReLU'd values in the
    /// convolution's slot, which is also the ReLU's.
    func testPlainPassShowsPreActivation() throws {
        let net = try Network(spec: ModelSpec.load(path: modelPath("lenet5")))
        net.initialize(seed: 3)
        let x = buffer(randomArray(2 * net.inputShape.count, seed: 4))
        let conv1 = net.layers.firstIndex { $0.name == "conv1" }!, count = 2 * net.layers[conv1].outputShape.count
        net.fuses = false
        net.forward(x.pointer, batch: 2, context: .inference)
        let own = Array(UnsafeBufferPointer(start: net.activation(conv1), count: count))
        let relu = Array(UnsafeBufferPointer(start: net.activation(conv1 + 1), count: count))
        XCTAssertTrue(own.contains { $0 < 0 })
        XCTAssertEqual(relu, own.map { max($0, 0) })
        // a plain backward keeps dLoss/d(relu1 output) unmasked: the windows of maxpool1 whose cells
        // are all <= 0 still route their gradient to a cell where relu1's output is 0
        _ = pass(net, fuses: false, x: x, labels: [1, 7], batch: 2)
        let reluOut = UnsafeBufferPointer(start: net.activation(conv1 + 1), count: count)
        let reluGrad = UnsafeBufferPointer(start: net.activationGradient(conv1 + 1), count: count)
        XCTAssertTrue(zip(reluOut, reluGrad).contains { $0 == 0 && $1 != 0 })
        net.fuses = true
        net.forward(x.pointer, batch: 2, context: .inference)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: net.activation(conv1), count: count)), relu)
        XCTAssertEqual(net.activation(conv1), net.activation(conv1 + 1))
    }
}
