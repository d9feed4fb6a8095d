// Ceil-mode max pooling (maxpool.ceil, PyTorch's ceil_mode) and global average pooling: output
// sizes, cases by hand, naive loops, central-difference gradients; and a fused pass of a model with
// a grouped conv + ReLU, ceil-mode max pools and global average pooling equals the plain one.

import Core
import Foundation
import XCTest
import NN

final class PoolingModesTests: XCTestCase {
    /// Max over the cells of each window inside the input (PyTorch's ceil-mode sizes).
    static func naiveCeilMaxPool(_ x: [Float], _ s: Shape, batch: Int, kernel: (Int, Int), stride: (Int, Int),
                                 pad: (Int, Int)) -> [Float] {
        let oh = windowOutputSize(s.h, kernel: kernel.0, stride: stride.0, pad: pad.0, ceil: true)
        let ow = windowOutputSize(s.w, kernel: kernel.1, stride: stride.1, pad: pad.1, ceil: true)
        var y: [Float] = []
        for plane in 0..<(batch * s.c) {
            for i in 0..<oh {
                for j in 0..<ow {
                    var best = -Float.infinity
                    for p in 0..<kernel.0 {
                        for q in 0..<kernel.1 {
                            let r = i * stride.0 - pad.0 + p, t = j * stride.1 - pad.1 + q
                            guard r >= 0, r < s.h, t >= 0, t < s.w else { continue }
                            best = max(best, x[(plane * s.h + r) * s.w + t])
                        }
                    }
                    y.append(best)
                }
            }
        }
        return y
    }

    /// PyTorch's sizes: ceil((n + 2p - k) / s) + 1, less one where the last window would start in
    /// the right padding or beyond.
    func testCeilOutputSizes() {
        XCTAssertEqual(windowOutputSize(5, kernel: 2, stride: 2, pad: 0), 2)
        XCTAssertEqual(windowOutputSize(5, kernel: 2, stride: 2, pad: 0, ceil: true), 3)
        XCTAssertEqual(windowOutputSize(4, kernel: 2, stride: 2, pad: 0, ceil: true), 2)          // exact: no change
        XCTAssertEqual(windowOutputSize(6, kernel: 3, stride: 2, pad: 1, ceil: true), 4)          // floor 3
        XCTAssertEqual(windowOutputSize(5, kernel: 3, stride: 3, pad: 1, ceil: true), 2)          // 3 would start at 6 >= 5 + 1
        XCTAssertEqual(windowOutputSize(55, kernel: 3, stride: 2, pad: 0, ceil: true), 27)        // AlexNet: as floor
        XCTAssertEqual(windowOutputSize(112, kernel: 3, stride: 2, pad: 0, ceil: true), 56)       // GoogLeNet: floor 55
        XCTAssertEqual(windowOutputSize(14, kernel: 3, stride: 2, pad: 0, ceil: true), 7)
        XCTAssertEqual(windowOutputSize(1, kernel: 1, stride: 2, pad: 0, ceil: true), 1)
    }

    /// x = 1...25 on a 5x5 plane, 2x2 windows, stride 2, ceil: 3x3 outputs; the last column and
    /// row of windows hold only the cells inside (one or two).
    func testCeilMaxPoolByHand() {
        let pool = Pool2D(name: "pool", mode: .max, input: Shape(1, 5, 5), kernel: (2, 2), stride: (2, 2), pad: (0, 0), ceil: true)
        XCTAssertEqual(pool.outputShape, Shape(1, 3, 3))
        let h = LayerHarness(pool, batch: 1)
        let x: [Float] = [3, 1, 4, 1, 5,
                          9, 2, 6, 5, 3,
                          5, 8, 9, 7, 9,
                          3, 2, 3, 8, 4,
                          6, 2, 6, 4, 3]
        fill(h.x, x)
        h.forward()
        XCTAssertEqual(h.y.toArray(), [9, 6, 5, 8, 9, 9, 6, 6, 3])
        fill(h.dy, (1...9).map(Float.init))
        h.backward()
        XCTAssertEqual(h.dx.toArray(), [0, 0, 0, 0, 3,
                                        1, 0, 2, 0, 0,
                                        0, 4, 5, 0, 6,
                                        0, 0, 0, 0, 0,
                                        7, 0, 8, 0, 9])
    }

    func testCeilMaxPoolMatchesNaiveLoops() {
        let cases: [(Shape, (Int, Int), (Int, Int), (Int, Int))] = [
            (Shape(2, 7, 7), (2, 2), (2, 2), (0, 0)),      // would be the 2x2 fast path: overhangs
            (Shape(2, 14, 14), (3, 3), (2, 2), (0, 0)),    // would be the 3x3/2 fast path: overhangs
            (Shape(1, 13, 13), (3, 3), (2, 2), (0, 0)),    // ceil = floor: fast path still taken
            (Shape(2, 8, 8), (2, 2), (2, 2), (0, 0)),
            (Shape(3, 6, 9), (3, 2), (2, 3), (1, 1)),
            (Shape(1, 5, 5), (3, 3), (3, 3), (1, 1)),      // PyTorch's rule drops the third window
            (Shape(2, 10, 11), (3, 3), (2, 2), (1, 0)),
        ]
        for (i, (shape, kernel, stride, pad)) in cases.enumerated() {
            let pool = Pool2D(name: "pool", mode: .max, input: shape, kernel: kernel, stride: stride, pad: pad, ceil: true)
            let h = LayerHarness(pool, batch: 2, seed: 600 + UInt64(i))
            h.forward()
            XCTAssertEqual(h.y.toArray(), Self.naiveCeilMaxPool(h.x.toArray(), shape, batch: 2, kernel: kernel,
                                                                 stride: stride, pad: pad), "ceil max pool case \(i)")
            // where the sizes agree, ceil mode is floor mode
            let floor = Pool2D(name: "pool", mode: .max, input: shape, kernel: kernel, stride: stride, pad: pad)
            if floor.outputShape == pool.outputShape {
                let f = LayerHarness(floor, batch: 2, seed: 600 + UInt64(i))
                f.forward()
                XCTAssertEqual(f.y.toArray(), h.y.toArray(), "case \(i) ceil = floor")
            }
        }
    }

    func testCeilMaxPoolGradients() {
        for (i, (shape, k, s, p)) in [(Shape(2, 7, 7), 2, 2, 0), (Shape(2, 8, 10), 3, 2, 0), (Shape(1, 6, 5), 3, 2, 1),
                                      (Shape(2, 5, 5), 3, 3, 1)].enumerated() {
            let pool = Pool2D(name: "pool", mode: .max, input: shape, kernel: (k, k), stride: (s, s), pad: (p, p), ceil: true)
            let h = LayerHarness(pool, batch: 2, seed: 700 + UInt64(i))
            fill(h.x, distinctArray(h.x.count, seed: 700 + UInt64(i)))
            checkLayerGradients(h)
        }
    }

    // MARK: global average pooling

    func testGlobalAvgPoolByHandAndReference() {
        let layer = GlobalAvgPool(name: "gap", input: Shape(2, 2, 3))
        XCTAssertEqual(layer.outputShape, Shape(2, 1, 1))
        XCTAssertEqual(layer.parameterCount, 0)
        let h = LayerHarness(layer, batch: 2)
        fill(h.x, [1, 2, 3, 4, 5, 6, -6, 0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 12, 0, 0, 0, 0, 0])
        h.forward()
        XCTAssertEqual(h.y.toArray(), [3.5, -1, 0.5, 2])
        fill(h.dy, [6, 12, -6, 0])
        h.backward()
        XCTAssertEqual(h.dx.toArray(), [Float](repeating: 1, count: 6) + [Float](repeating: 2, count: 6)
                       + [Float](repeating: -1, count: 6) + [Float](repeating: 0, count: 6))
        // naive loops on random data, a plane wider than one SIMD step
        let big = GlobalAvgPool(name: "gap", input: Shape(5, 7, 9))
        let b = LayerHarness(big, batch: 3, seed: 801)
        b.forward()
        let x = b.x.toArray()
        for p in 0..<15 {
            let mean = x[(p * 63)..<((p + 1) * 63)].reduce(0.0) { $0 + Double($1) } / 63
            XCTAssertEqual(Double(b.y[p]), mean, accuracy: 1e-6)
        }
        checkLayerGradients(b)
    }

    /// The plan: [-1, C, 1, 1], no parameters, AdaptiveAvgPool2d in the summary; a linear layer
    /// takes it without flatten.
    func testGlobalAvgPoolPlanAndSummary() throws {
        let plan = try NetworkPlan(ModelSpec.parse(yaml: """
            input: [3, 8, 8]
            layers:
              - conv: {out: 6, kernel: 3}
              - globalavgpool
              - linear: {out: 2}
            """, file: "gap.yaml"))
        let row = ModelSummary(plan: plan).rows[1]
        XCTAssertEqual(row.outputShape.description, "[-1, 6, 1, 1]")
        XCTAssertEqual(row.params, 0)
        XCTAssertEqual(row.kind, "globalavgpool")
        XCTAssertEqual(row.typeName, "AdaptiveAvgPool2d-2")
        XCTAssertEqual(plan.layers[1].name, "globalavgpool1")
        XCTAssertEqual(plan.layers[2].weightShape, [2, 6])
    }

    // MARK: fused passes

    /// Grouped convolutions (per-sample and batch GEMM) with fused ReLUs feeding ceil-mode max
    /// pools (mask in the pool's backward) and global average pooling (the ReLU's backward in
    /// place): fused and plain passes give the same logits and gradients.
    func testFusedEqualsPlainWithGroupedConvCeilPoolGlobalPool() throws {
        let spec = try ModelSpec.parse(yaml: """
            input: [4, 20, 20]
            layers:
              - conv: {out: 8, kernel: 3, pad: 1, groups: 2}
              - relu
              - maxpool: {kernel: 3, stride: 2, ceil: true}
              - conv: {out: 12, kernel: 3, pad: 1, groups: 4}
              - relu
              - maxpool: {kernel: 2, ceil: true}
              - conv: {out: 6, kernel: 1, groups: 2}
              - relu
              - globalavgpool
              - flatten
              - linear: {out: 3}
            """, file: "fused.yaml")
        let net = try Network(spec: spec)
        XCTAssertEqual(net.layers.compactMap { ($0 as? Conv2D)?.algorithm }, [.perSampleGEMM, .batchGEMM, .batchGEMM])
        XCTAssertEqual(net.layers[2].outputShape, Shape(8, 10, 10))     // floor mode: 9x9
        XCTAssertEqual(net.layers[5].outputShape, Shape(12, 5, 5))
        net.initialize(seed: 9)
        let n = 3
        let x = buffer(randomArray(n * net.inputShape.count, seed: 10))
        let labels: [Int32] = [0, 2, 1]
        func pass(fuses: Bool) -> (logits: [Float], grads: [Float]) {
            net.fuses = fuses
            net.zeroGradients()
            let z = net.forward(x.pointer, batch: n, context: .inference)
            labels.withUnsafeBufferPointer {
                _ = LossFunction.softmaxCrossEntropy.evaluate(logits: z, labels: $0.baseAddress!, batch: n, classes: 3,
                                                              gradient: net.outputGradient, scale: 1 / Float(n))
            }
            let logits = Array(UnsafeBufferPointer(start: z, count: n * 3))
            net.backward()
            return (logits, Array(net.gradients))
        }
        let plain = pass(fuses: false), fused = pass(fuses: true)
        XCTAssertEqual(fused.logits, plain.logits)
        XCTAssertEqual(fused.grads, plain.grads)
        XCTAssertTrue(plain.grads.contains { $0 != 0 })
        XCTAssertEqual(net.layers.enumerated().filter { !net.ranForward($0.offset) }.map { $0.element.name },
                       ["relu1", "relu2", "relu3", "flatten1"])
    }

    /// The same layers with tanh for ReLU (no kinks for the finite differences to cross): every
    /// parameter gradient of the network against central differences of the mean loss.
    func testWholeNetworkGradients() throws {
        let net = try Network(spec: ModelSpec.parse(yaml: """
            input: [4, 9, 9]
            layers:
              - conv: {out: 6, kernel: 3, pad: 1, groups: 2}
              - tanh
              - maxpool: {kernel: 2, ceil: true}
              - conv: {out: 6, kernel: 3, pad: 1, groups: 3, bias: false}
              - tanh
              - maxpool: {kernel: 3, stride: 2, pad: 1, ceil: true}
              - globalavgpool
              - linear: {out: 3}
            """, file: "tanh.yaml"))
        XCTAssertEqual(net.layers[2].outputShape, Shape(6, 5, 5))
        XCTAssertEqual(net.layers[5].outputShape, Shape(6, 3, 3))
        net.initialize(seed: 12)
        let n = 2
        let x = buffer(randomArray(n * net.inputShape.count, seed: 13))
        let labels: [Int32] = [1, 2]
        func loss(gradient: Bool = false) -> Double {
            let z = net.forward(x.pointer, batch: n, context: .inference)
            return labels.withUnsafeBufferPointer {
                gradient ? LossFunction.softmaxCrossEntropy.evaluate(logits: z, labels: $0.baseAddress!, batch: n, classes: 3,
                                                                     gradient: net.outputGradient, scale: 1 / Float(n)).lossSum
                         : LossFunction.softmaxCrossEntropy.evaluate(logits: z, labels: $0.baseAddress!, batch: n, classes: 3).lossSum
            } / Double(n)
        }
        net.zeroGradients()
        _ = loss(gradient: true)
        net.backward()
        let analytic = Array(net.gradients).map(Double.init)
        // eps 3e-4, not 1e-3: at 1e-3 two cells of a conv1 -> maxpool window trade places (a kink)
        let numeric = (0..<net.parameterCount).map { centralDifference(net.parameters.baseAddress!, $0, eps: 3e-4) { loss() } }
        assertGradientsClose(analytic, numeric, rtol: 2e-2, atol: 2e-4, "network gradients")
    }
}
