// Graph models (DESIGN.md "Graph blocks"): branches concatenated on channels, residual blocks,
// BatchNorm, templates, nesting. The whole graph's gradients against finite differences (BatchNorm
// in training and in evaluation mode; fan-out into a block, a path end copied or written in place), fused passes equal plain ones, a branch equals its paths run
// alone, and the dot-path names.

import Core
import XCTest
import NN

let graphSpecYAML = """
    input: [3, 8, 8]
    templates:
      mix:
        params: [a, b]
        block:
          branch:
            paths:
              - [{conv: {out: $a, kernel: 1}}, relu]
              - [{conv: {out: $b, kernel: 3, pad: 1}}, batchnorm, relu]
              - [{maxpool: {kernel: 3, stride: 1, pad: 1}}, {conv: {out: 2, kernel: 1}}]
              - [{conv: {out: 1, kernel: 1}}, {dropout: {p: 0.25}}]
    layers:
      - conv: {name: stem, out: 4, kernel: 3, pad: 1, bias: false}
      - batchnorm
      - relu
      - mix: {name: mix1, a: 3, b: 2}
      - residual:
          name: res1
          body: [{conv: {out: 6, kernel: 3, stride: 2, pad: 1, bias: false}}, batchnorm, relu,
                 {mix: {name: inner, a: 1, b: 2}}]
          shortcut: [{conv: {out: 6, kernel: 1, stride: 2, bias: false}}, batchnorm]
      - relu
      - residual:
          body: [{conv: {out: 6, kernel: 3, pad: 1}}, tanh]
      - globalavgpool
      - flatten
      - linear: {out: 5}
    """

final class GraphTests: XCTestCase {
    private func graphNetwork() throws -> Network {
        try Network(spec: ModelSpec.parse(yaml: graphSpecYAML, file: "graph.yaml"))
    }

    func testNamesShapesAndParameterCount() throws {
        let plan = try NetworkPlan(ModelSpec.parse(yaml: graphSpecYAML, file: "graph.yaml"))
        let names = plan.tensors.map(\.name)
        for expected in ["stem.weight", "bn1.weight", "bn1.bias", "mix1.branch1.conv1.weight", "mix1.branch2.bn1.bias",
                         "mix1.branch3.conv1.weight", "res1.conv1.weight", "res1.bn1.weight", "res1.inner.branch2.conv1.weight",
                         "res1.shortcut.conv1.weight", "res1.shortcut.bn1.bias", "block3.conv1.weight", "fc1.bias"] {
            XCTAssertTrue(names.contains(expected), "missing \(expected) in \(names)")
        }
        XCTAssertTrue(plan.stateTensors.map(\.name).contains("res1.shortcut.bn1.running_var"))
        XCTAssertTrue(plan.stateTensors.map(\.name).contains("mix1.branch2.bn1.num_batches_tracked"))
        let joins = plan.joins
        XCTAssertEqual(joins.map(\.name), ["mix1", "res1.inner", "res1", "block3"])
        XCTAssertEqual(joins[0].output, Shape(8, 8, 8))          // 3 + 2 + 2 + 1 channels
        XCTAssertEqual(joins[1].output, Shape(6, 4, 4))          // 1 + 2 + 2 + 1
        XCTAssertEqual(joins[2].output, Shape(6, 4, 4))
        // parameters counted by hand: stem 108, bn 8, mix1 (3*4+3)+(2*36+2)+4 (bn)+(2*4+2)+(1*4+1),
        // res1 conv 6*72, bn 12, inner (6+1)+(2*54+2)+4+(2*6+2)+(6+1), shortcut 48 + 12, block3 6*54+6, fc 6*5+5
        let mix1 = 15 + 74 + 4 + 10 + 5, inner = 7 + 110 + 4 + 14 + 7
        let expected = 108 + 8 + mix1 + 432 + 12 + inner + 48 + 12 + 330 + 35
        XCTAssertEqual(plan.parameterCount, expected)
        XCTAssertEqual(joins[0].params, mix1)
        XCTAssertEqual(joins[2].params, 432 + 12 + inner + 48 + 12)
    }

    /// Mean softmax cross-entropy of the network on x, and its gradients from one backward.
    private func lossAndGradients(_ net: Network, _ x: FloatBuffer, _ labels: [Int32], context: PassContext) -> (Double, [Double]) {
        let n = labels.count, classes = net.outputShape.count
        net.zeroGradients()
        let z = net.forward(x.pointer, batch: n, context: context)
        let loss = labels.withUnsafeBufferPointer {
            LossFunction.softmaxCrossEntropy.evaluate(logits: z, labels: $0.baseAddress!, batch: n, classes: classes,
                                                      gradient: net.outputGradient, scale: 1 / Float(n)).lossSum
        }
        net.backward()
        return (loss / Double(n), Array(net.gradients).map(Double.init))
    }

    private func checkGradients(training: Bool, yaml: String = graphSpecYAML) throws {
        let net = try Network(spec: ModelSpec.parse(yaml: yaml, file: "graph.yaml"))
        net.initialize(seed: 7)
        if !training {
            // non-trivial running statistics: a few training passes first
            let warm = buffer(randomArray(4 * net.inputShape.count, seed: 21, in: -2...2))
            for _ in 0..<3 { net.forward(warm.pointer, batch: 4, context: PassContext(training: true, seed: 1)) }
        }
        let x = buffer(randomArray(4 * net.inputShape.count, seed: 8, in: -2...2))
        let labels: [Int32] = [0, 3, 1, 4]
        let context = PassContext(training: training, seed: 11, epoch: 2)
        let analytic = lossAndGradients(net, x, labels, context: context).1
        let numeric = (0..<net.parameterCount).map { i in
            centralDifference(net.parameters.baseAddress!, i, eps: 1e-3) {
                net.zeroGradients()
                let z = net.forward(x.pointer, batch: 4, context: context)
                return labels.withUnsafeBufferPointer {
                    LossFunction.softmaxCrossEntropy.evaluate(logits: z, labels: $0.baseAddress!, batch: 4, classes: 5).lossSum
                } / 4
            }
        }
        assertGradientsClose(analytic, numeric, rtol: 3e-2, atol: 3e-4, "graph gradients (training: \(training))")
        for t in net.tensors {
            XCTAssertTrue(analytic[t.offset ..< t.offset + t.count].contains { $0 != 0 }, "\(t.name) has no gradient")
        }
    }

    /// The graph with smooth nonlinearities: with ReLU and max pooling, a finite difference of
    /// the stem's weights crosses kinks somewhere in the 4x8x8 activations (fused ReLU and pooling
    /// paths are checked exactly against the plain pass in testFusedEqualsPlain, and each layer
    /// alone in GradientCheckTests).
    private let smoothGraph = graphSpecYAML.replacingOccurrences(of: "relu", with: "tanh").replacingOccurrences(of: "maxpool", with: "avgpool")

    func testGradientsTraining() throws { try checkGradients(training: true, yaml: smoothGraph) }
    func testGradientsEvaluation() throws { try checkGradients(training: false, yaml: smoothGraph) }

    func testFusedEqualsPlain() throws {
        let net = try graphNetwork()
        net.initialize(seed: 3)
        let x = buffer(randomArray(5 * net.inputShape.count, seed: 4))
        let labels: [Int32] = [0, 1, 2, 3, 4]
        let context = PassContext(training: true, seed: 5, epoch: 1)
        net.fuses = false
        let plain = lossAndGradients(net, x, labels, context: context)
        let plainLogits = Array(UnsafeBufferPointer(start: net.activation(net.layers.count - 1), count: 25))
        net.fuses = true
        let fused = lossAndGradients(net, x, labels, context: context)
        XCTAssertEqual(fused.0, plain.0)
        XCTAssertEqual(fused.1, plain.1)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: net.activation(net.layers.count - 1), count: 25)), plainLogits)
    }

    /// A branch's output is its paths' outputs, each in its channel slice.
    func testBranchEqualsItsPathsAlone() throws {
        let branch = try Network(spec: ModelSpec.parse(yaml: """
            input: [2, 5, 5]
            layers:
              - branch:
                  paths:
                    - [{conv: {out: 3, kernel: 3, pad: 1}}, relu]
                    - [{conv: {out: 2, kernel: 1}}, {maxpool: {kernel: 3, stride: 1, pad: 1}}]
            """))
        let a = try Network(spec: ModelSpec.parse(yaml: "input: [2, 5, 5]\nlayers: [{conv: {out: 3, kernel: 3, pad: 1}}, relu]"))
        let b = try Network(spec: ModelSpec.parse(yaml: "input: [2, 5, 5]\nlayers: [{conv: {out: 2, kernel: 1}}, {maxpool: {kernel: 3, stride: 1, pad: 1}}]"))
        branch.initialize(seed: 9)
        a.parameters.baseAddress!.update(from: branch.parameters.baseAddress!, count: a.parameterCount)
        b.parameters.baseAddress!.update(from: branch.parameters.baseAddress! + a.parameterCount, count: b.parameterCount)
        let n = 3
        let x = buffer(randomArray(n * 50, seed: 2))
        let y = branch.forward(x.pointer, batch: n, context: .inference)
        let ya = a.forward(x.pointer, batch: n, context: .inference), yb = b.forward(x.pointer, batch: n, context: .inference)
        for s in 0..<n {
            XCTAssertEqual(Array(UnsafeBufferPointer(start: y + s * 125, count: 75)), Array(UnsafeBufferPointer(start: ya + s * 75, count: 75)))
            XCTAssertEqual(Array(UnsafeBufferPointer(start: y + s * 125 + 75, count: 50)), Array(UnsafeBufferPointer(start: yb + s * 50, count: 50)))
        }
    }
}
