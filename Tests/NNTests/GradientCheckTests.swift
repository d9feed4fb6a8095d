// Central-difference gradient checks (Caffe's GradientChecker) for every layer, both losses and a
// whole network. Each layer is checked with the scalar loss L = sum(w_i * y_i), w fixed and
// random, so dL/dy = w: input gradients and parameter gradients, odd shapes, strides, padding.

import Core
import XCTest
import NN

final class GradientCheckTests: XCTestCase {
    // MARK: convolution

    func testConvStridePadNonSquareKernel() {
        for bias in [true, false] {
            let conv = Conv2D(name: "conv", input: Shape(3, 7, 5), out: 4, kernel: (3, 2), stride: (2, 2), pad: (1, 1), bias: bias)
            XCTAssertEqual(conv.outputShape, Shape(4, 4, 3))
            checkLayerGradients(LayerHarness(conv, batch: 3, seed: 11))
        }
    }

    func testConvMixedStrideAndPad() {
        let conv = Conv2D(name: "conv", input: Shape(2, 6, 7), out: 3, kernel: (2, 3), stride: (1, 2), pad: (0, 2), bias: true)
        XCTAssertEqual(conv.outputShape, Shape(3, 5, 5))
        checkLayerGradients(LayerHarness(conv, batch: 2, seed: 12))
    }

    func testConvOneByOneAndFullKernel() {
        let pointwise = Conv2D(name: "conv1x1", input: Shape(5, 3, 4), out: 2, kernel: (1, 1), stride: (1, 1), pad: (0, 0), bias: true)
        checkLayerGradients(LayerHarness(pointwise, batch: 3, seed: 13))
        // the kernel covers the whole padded input: one output pixel
        let full = Conv2D(name: "convfull", input: Shape(2, 3, 3), out: 3, kernel: (5, 5), stride: (1, 1), pad: (1, 1), bias: false)
        XCTAssertEqual(full.outputShape, Shape(3, 1, 1))
        checkLayerGradients(LayerHarness(full, batch: 2, seed: 14))
    }

    /// Every algorithm on a plane of at least 256 pixels (where per-sample GEMM applies) and on
    /// LeNet's conv2 shape; direct is what both get unless forced.
    func testConvEveryAlgorithm() {
        for algorithm in [ConvAlgorithm.direct, .perSampleGEMM, .batchGEMM] {
            for bias in [true, false] {
                let conv = Conv2D(name: "conv", input: Shape(2, 17, 16), out: 3, kernel: (3, 2), stride: (1, 1),
                                  pad: (1, 1), bias: bias, algorithm: algorithm)
                XCTAssertEqual(conv.algorithm, algorithm)
                checkLayerGradients(LayerHarness(conv, batch: 2, seed: 15))
            }
            let conv2 = Conv2D(name: "conv2", input: Shape(6, 14, 14), out: 16, kernel: (5, 5), stride: (1, 1),
                               pad: (0, 0), bias: true, algorithm: algorithm)
            checkLayerGradients(LayerHarness(conv2, batch: 2, seed: 16))
        }
        XCTAssertEqual(Conv2D(name: "c", input: Shape(6, 14, 14), out: 16, kernel: (5, 5), stride: (1, 1), pad: (0, 0),
                              bias: true).algorithm, .direct)
        // direct needs stride 1 and padding below the kernel size; forcing it elsewhere falls back
        XCTAssertEqual(Conv2D(name: "c", input: Shape(3, 9, 9), out: 4, kernel: (3, 3), stride: (2, 2), pad: (1, 1),
                              bias: true, algorithm: .direct).algorithm, .batchGEMM)
        XCTAssertEqual(Conv2D(name: "c", input: Shape(96, 27, 27), out: 256, kernel: (5, 5), stride: (1, 1), pad: (2, 2),
                              bias: true).algorithm, .batchGEMM)
    }

    // MARK: linear

    func testLinear() {
        for bias in [true, false] {
            let fc = Linear(name: "fc", input: Shape(flat: 7), out: 5, bias: bias)
            checkLayerGradients(LayerHarness(fc, batch: 3, seed: 21))
        }
        // a [C, 1, 1] input needs no flatten
        let fc = Linear(name: "fc", input: Shape(6, 1, 1), out: 4, bias: true)
        checkLayerGradients(LayerHarness(fc, batch: 2, seed: 22))
    }

    // MARK: pooling

    private func poolHarness(_ mode: Pool2D.Mode, input: Shape, kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int),
                             batch: Int, seed: UInt64) -> LayerHarness {
        let pool = Pool2D(name: "pool", mode: mode, input: input, kernel: kernel, stride: stride, pad: pad)
        let h = LayerHarness(pool, batch: batch, seed: seed)
        fill(h.x, distinctArray(h.x.count, seed: seed))      // no ties within eps: argmax is stable
        return h
    }

    func testMaxPool() {
        // overlapping windows (stride < kernel) with padding
        let a = poolHarness(.max, input: Shape(3, 7, 5), kernel: (3, 3), stride: (2, 2), pad: (1, 1), batch: 2, seed: 31)
        XCTAssertEqual(a.layer.outputShape, Shape(3, 4, 3))
        checkLayerGradients(a)
        // gaps between windows (stride > kernel), non-square
        let b = poolHarness(.max, input: Shape(2, 7, 8), kernel: (2, 3), stride: (3, 2), pad: (0, 1), batch: 3, seed: 32)
        checkLayerGradients(b)
        // the 2x2 stride-2 fast path: rows of 14 windows (SIMD steps, the last overlapping), 5
        // windows over an odd width and height (uncovered edge cells), and 3 windows (one at a time)
        for (i, input) in [Shape(1, 28, 28), Shape(2, 11, 11), Shape(2, 6, 7)].enumerated() {
            let h = poolHarness(.max, input: input, kernel: (2, 2), stride: (2, 2), pad: (0, 0), batch: 2, seed: 35 + UInt64(i))
            checkLayerGradients(h)
        }
    }

    func testAveragePool() {
        let a = poolHarness(.average, input: Shape(3, 7, 5), kernel: (3, 2), stride: (2, 1), pad: (1, 1), batch: 2, seed: 33)
        XCTAssertEqual(a.layer.outputShape, Shape(3, 4, 6))
        checkLayerGradients(a)
        let b = poolHarness(.average, input: Shape(2, 6, 7), kernel: (2, 2), stride: (3, 3), pad: (0, 0), batch: 2, seed: 34)
        checkLayerGradients(b)
    }

    // MARK: activations, flatten, dropout

    func testActivations() {
        let functions: [Activation.Function] = [.relu, .leakyReLU(slope: 0.1), .sigmoid, .tanh]
        for (i, f) in functions.enumerated() {
            let layer = Activation(name: "\(f)", function: f, input: Shape(3, 4, 5))
            let h = LayerHarness(layer, batch: 2)
            fill(h.x, awayFromZero(h.x.count, seed: 40 + UInt64(i)))   // eps 1e-2 never crosses a kink
            checkLayerGradients(h)
        }
    }

    func testFlatten() {
        let layer = Flatten(name: "flatten", input: Shape(3, 2, 5))
        XCTAssertEqual(layer.outputShape, Shape(flat: 30))
        checkLayerGradients(LayerHarness(layer, batch: 3, seed: 50))
    }

    func testDropoutGradientIsTheMask() {
        let p: Float = 0.3
        let layer = Dropout(name: "dropout", p: p, input: Shape(4, 3, 5), salt: 7)
        let h = LayerHarness(layer, batch: 3, seed: 60, context: PassContext(training: true, seed: 5, epoch: 2))
        fill(h.x, awayFromZero(h.x.count, seed: 61))
        let w = randomArray(h.y.count, seed: 62)
        h.forward()
        let mask = (0..<h.x.count).map { h.y[$0] / h.x[$0] }
        let scale = 1 / (1 - p)
        for m in mask { XCTAssertTrue(m == 0 || abs(m - scale) < 1e-6, "mask value \(m)") }
        let kept = Double(mask.filter { $0 != 0 }.count) / Double(mask.count)
        XCTAssertEqual(kept, Double(1 - p), accuracy: 0.12)
        fill(h.dy, w)
        h.backward()
        for i in 0..<h.x.count { XCTAssertEqual(h.dx[i], w[i] * mask[i], accuracy: 1e-6) }
        // the same context draws the same mask, so finite differences agree too
        checkLayerGradients(h)
    }

    // MARK: local response normalisation

    func testLocalResponseNorm() {
        let cases: [(size: Int, channels: Int, alpha: Float, beta: Float, k: Float)] = [
            (3, 7, 1.0, 0.75, 1), (5, 5, 2.0, 0.75, 2), (5, 9, 1.5, 0.5, 1), (4, 3, 1.0, 1.0, 1), (1, 3, 0.5, 0.75, 1),
        ]
        for (i, c) in cases.enumerated() {
            let lrn = LocalResponseNorm(name: "lrn\(c.size)", input: Shape(c.channels, 2, 3), size: c.size,
                                        alpha: c.alpha, beta: c.beta, k: c.k)
            let h = LayerHarness(lrn, batch: 2, seed: 70 + UInt64(i))
            fill(h.x, randomArray(h.x.count, seed: 80 + UInt64(i), in: -2...2))
            checkLayerGradients(h, eps: 1e-2)
        }
    }

    // MARK: losses

    func testSoftmaxCrossEntropy() {
        let n = 4, k = 6
        let z = buffer(randomArray(n * k, seed: 90, in: -3...3))
        let labels: [Int32] = [0, 5, 2, 2]
        let grad = FloatBuffer(count: n * k)
        let scale: Float = 1 / Float(n)
        labels.withUnsafeBufferPointer { lp in
            let stats = LossFunction.softmaxCrossEntropy.evaluate(logits: z.pointer, labels: lp.baseAddress!, batch: n,
                                                                  classes: k, gradient: grad.pointer, scale: scale)
            XCTAssertEqual(stats.count, n)
            let numeric = (0..<(n * k)).map { i in
                centralDifference(z.pointer, i, eps: 1e-2) {
                    LossFunction.softmaxCrossEntropy.evaluate(logits: z.pointer, labels: lp.baseAddress!, batch: n, classes: k).lossSum
                        * Double(scale)
                }
            }
            assertGradientsClose(grad.toArray().map(Double.init), numeric, rtol: 1e-2, atol: 1e-4, "softmax dz")
        }
    }

    func testLogistic() {
        let n = 6
        let z = buffer([-4, -0.7, 0.3, 1.2, 2.5, -1.5])
        let labels: [Int32] = [0, 1, 0, 1, 1, 0]
        let grad = FloatBuffer(count: n)
        labels.withUnsafeBufferPointer { lp in
            _ = LossFunction.logistic.evaluate(logits: z.pointer, labels: lp.baseAddress!, batch: n, classes: 1,
                                               gradient: grad.pointer, scale: 1)
            let numeric = (0..<n).map { i in
                centralDifference(z.pointer, i, eps: 1e-2) {
                    LossFunction.logistic.evaluate(logits: z.pointer, labels: lp.baseAddress!, batch: n, classes: 1).lossSum
                }
            }
            assertGradientsClose(grad.toArray().map(Double.init), numeric, rtol: 1e-2, atol: 1e-4, "logistic dz")
        }
    }

    // MARK: whole network

    /// Every parameter gradient of a tiny conv net (conv, tanh, lrn, maxpool, conv without bias,
    /// sigmoid, avgpool, flatten, linear, leaky relu, linear) against finite differences of the mean
    /// softmax cross-entropy; then a second backward doubles the gradients (they accumulate).
    func testWholeNetwork() throws {
        let spec = try ModelSpec.parse(yaml: """
            input: [2, 9, 7]
            layers:
              - conv: {out: 4, kernel: [3, 2], stride: [2, 1], pad: 1}
              - tanh
              - lrn: {size: 3, alpha: 0.5, beta: 0.75, k: 1}
              - maxpool: {kernel: 2, stride: 1}
              - conv: {out: 3, kernel: 2, bias: false}
              - sigmoid
              - avgpool: {kernel: 2, pad: 1}
              - flatten
              - linear: {out: 6}
              - leakyrelu: {slope: 0.2}
              - linear: {out: 3}
            """, file: "tiny.yaml")
        let net = try Network(spec: spec)
        net.initialize(seed: 3)
        // scale the weights up a little so that every layer's nonlinearity matters
        for i in 0..<net.parameterCount { net.parameters[i] *= 2 }
        let n = 3
        let x = buffer(randomArray(n * net.inputShape.count, seed: 4, in: -2...2))
        let labels: [Int32] = [2, 0, 1]
        let scale = 1 / Float(n)
        func loss() -> Double {
            let z = net.forward(x.pointer, batch: n, context: .inference)
            return labels.withUnsafeBufferPointer {
                LossFunction.softmaxCrossEntropy.evaluate(logits: z, labels: $0.baseAddress!, batch: n, classes: 3).lossSum
            } * Double(scale)
        }
        net.zeroGradients()
        let z = net.forward(x.pointer, batch: n, context: .inference)
        _ = labels.withUnsafeBufferPointer {
            LossFunction.softmaxCrossEntropy.evaluate(logits: z, labels: $0.baseAddress!, batch: n, classes: 3,
                                                      gradient: net.outputGradient, scale: scale)
        }
        net.backward()
        let analytic = Array(net.gradients).map(Double.init)
        // eps 1e-3, not 1e-2: at 1e-2 one fc1 unit's pre-activation crosses leaky relu's kink
        let numeric = (0..<net.parameterCount).map { i in
            centralDifference(net.parameters.baseAddress!, i, eps: 1e-3) { loss() }
        }
        assertGradientsClose(analytic, numeric, rtol: 2e-2, atol: 2e-4, "network gradients")
        for t in net.tensors {
            XCTAssertTrue(analytic[t.offset ..< t.offset + t.count].contains { $0 != 0 }, "\(t.name) has no gradient")
        }

        // backward accumulates: a second pass over the same batch doubles every gradient
        _ = net.forward(x.pointer, batch: n, context: .inference)
        _ = labels.withUnsafeBufferPointer {
            LossFunction.softmaxCrossEntropy.evaluate(logits: net.activation(net.layers.count - 1), labels: $0.baseAddress!,
                                                      batch: n, classes: 3, gradient: net.outputGradient, scale: scale)
        }
        net.backward()
        for i in 0..<net.parameterCount {
            XCTAssertEqual(Double(net.gradients[i]), 2 * analytic[i], accuracy: 1e-6 + 1e-5 * abs(analytic[i]))
        }
    }
}
