// Grouped convolution (conv.groups, PyTorch's layout: weight [out, in/groups, kh, kw]): a case by
// hand, every algorithm against naive loops, central-difference gradients, the algorithm choice
// (never direct), parameter counts and FLOPs from the plan.

import Core
import Foundation
import XCTest
import NN

final class GroupedConvTests: XCTestCase {
    /// y[n, o, i, j] = b[o] + sum over the channels c of o's group and the window of
    /// x[n, g*C/G + c, i*sh - ph + p, j*sw - pw + q] * w[o, c, p, q], g = o / (O/G).
    static func naiveGroupedConv(_ x: [Float], _ s: Shape, batch: Int, weight: [Float], bias: [Float]?, out: Int,
                                 groups: Int, kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int)) -> [Float] {
        let oh = windowOutputSize(s.h, kernel: kernel.0, stride: stride.0, pad: pad.0)
        let ow = windowOutputSize(s.w, kernel: kernel.1, stride: stride.1, pad: pad.1)
        let cg = s.c / groups, og = out / groups
        var y = [Float](repeating: 0, count: batch * out * oh * ow)
        for n in 0..<batch {
            for o in 0..<out {
                let g = o / og
                for i in 0..<oh {
                    for j in 0..<ow {
                        var sum = Double(bias?[o] ?? 0)
                        for c in 0..<cg {
                            for p in 0..<kernel.0 {
                                for q in 0..<kernel.1 {
                                    let r = i * stride.0 - pad.0 + p, t = j * stride.1 - pad.1 + q
                                    guard r >= 0, r < s.h, t >= 0, t < s.w else { continue }
                                    sum += Double(x[((n * s.c + g * cg + c) * s.h + r) * s.w + t])
                                        * Double(weight[((o * cg + c) * kernel.0 + p) * kernel.1 + q])
                                }
                            }
                        }
                        y[((n * out + o) * oh + i) * ow + j] = Float(sum)
                    }
                }
            }
        }
        return y
    }

    /// Two channels, two groups, 2x2 kernel over a 2x3 plane: each output channel sees only its own
    /// input channel. x0 = 1...6, x1 = 10, 20, ..., 60; w0 = [[1, 0], [0, 1]], w1 = [[0, 1], [1, 0]].
    func testByHand() {
        let conv = Conv2D(name: "conv", input: Shape(2, 2, 3), out: 2, kernel: (2, 2), stride: (1, 1), pad: (0, 0),
                          bias: true, groups: 2)
        XCTAssertEqual(conv.parameterShapes.map(\.shape), [[2, 1, 2, 2], [2]])
        XCTAssertEqual(conv.parameterCount, 10)
        let h = LayerHarness(conv, batch: 1)
        fill(h.x, [1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60])
        fill(h.params, [1, 0, 0, 1, 0, 1, 1, 0, 0.5, -1])
        h.forward()
        // channel 0: 1+5, 2+6 (+0.5); channel 1: 20+40, 30+50 (-1)
        XCTAssertEqual(h.y.toArray(), [6.5, 8.5, 59, 79])
        // backward with dy = 1: dW0 = window sums of x0, dW1 of x1; db = 2 each; dx = sum of the filter over windows
        fill(h.dy, [1, 1, 1, 1])
        h.grads.zero()
        h.backward()
        XCTAssertEqual(h.grads.toArray(), [3, 5, 9, 11, 30, 50, 90, 110, 2, 2])
        XCTAssertEqual(h.dx.toArray(), [1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0])
    }

    /// Every algorithm (direct falls back to a GEMM one) on shapes with 2, 3 and C groups
    /// (depthwise), strides, padding, with and without bias, planes above and below the
    /// per-sample threshold; forward against naive loops, gradients against the same layer
    /// built as G separate convolutions.
    func testMatchesNaiveLoopsAndSeparateConvolutions() {
        let cases: [(Shape, Int, Int, (Int, Int), (Int, Int), (Int, Int), Bool)] = [
            (Shape(4, 7, 5), 6, 2, (3, 2), (2, 2), (1, 1), true),
            (Shape(6, 8, 9), 9, 3, (3, 3), (1, 1), (1, 1), false),
            (Shape(4, 6, 6), 4, 4, (3, 3), (1, 1), (1, 1), true),      // depthwise
            (Shape(4, 20, 18), 8, 2, (3, 3), (1, 1), (1, 1), true),    // 360 pixels: per-sample GEMM
            (Shape(6, 5, 4), 2, 2, (1, 1), (1, 1), (0, 0), true),      // pointwise, one filter a group
        ]
        for (i, (shape, out, groups, kernel, stride, pad, hasBias)) in cases.enumerated() {
            for algorithm in [nil, ConvAlgorithm.direct, .perSampleGEMM, .batchGEMM] {
                let conv = Conv2D(name: "conv", input: shape, out: out, kernel: kernel, stride: stride, pad: pad,
                                  bias: hasBias, groups: groups, algorithm: algorithm)
                XCTAssertNotEqual(conv.algorithm, .direct, "case \(i): grouped layers never run direct")
                let h = LayerHarness(conv, batch: 3, seed: 400 + UInt64(i))
                h.forward()
                let wc = out * shape.c / groups * kernel.0 * kernel.1
                XCTAssertEqual(h.params.count, wc + (hasBias ? out : 0))
                let params = h.params.toArray()
                let reference = Self.naiveGroupedConv(h.x.toArray(), shape, batch: 3, weight: Array(params[0..<wc]),
                                                      bias: hasBias ? Array(params.suffix(out)) : nil, out: out,
                                                      groups: groups, kernel: kernel, stride: stride, pad: pad)
                assertClose(h.y.toArray(), reference, "grouped conv case \(i), \(conv.algorithm)")
                assertAgreesWithSeparateConvolutions(h, conv, hasBias: hasBias, case: i)
            }
        }
    }

    /// Backward of the grouped layer against G ungrouped convolutions over the channel slices.
    private func assertAgreesWithSeparateConvolutions(_ h: LayerHarness, _ conv: Conv2D, hasBias: Bool, case i: Int,
                                                      file: StaticString = #filePath, line: UInt = #line) {
        let g = conv.geometry, groups = conv.groups, n = h.batch
        let cg = g.c / groups, og = conv.outChannels / groups, hw = g.h * g.w, ohw = conv.outputShape.h * conv.outputShape.w
        fill(h.dy, randomArray(h.dy.count, seed: 500 + UInt64(i)))
        h.grads.zero()
        h.backward()
        let wg = og * cg * g.kh * g.kw
        var dx = [Float](repeating: 0, count: h.dx.count), dW: [Float] = [], dB: [Float] = []
        for k in 0..<groups {
            let part = Conv2D(name: "part", input: Shape(cg, g.h, g.w), out: og, kernel: (g.kh, g.kw), stride: (g.sh, g.sw),
                              pad: (g.ph, g.pw), bias: hasBias, algorithm: .batchGEMM)
            let p = LayerHarness(part, batch: n)
            for b in 0..<n {
                for j in 0..<(cg * hw) { p.x[b * cg * hw + j] = h.x[(b * g.c + k * cg) * hw + j] }
                for j in 0..<(og * ohw) { p.dy[b * og * ohw + j] = h.dy[(b * conv.outChannels + k * og) * ohw + j] }
            }
            for j in 0..<wg { p.params[j] = h.params[k * wg + j] }
            if hasBias { for j in 0..<og { p.params[wg + j] = h.params[groups * wg + k * og + j] } }
            p.forward()
            p.grads.zero()
            p.backward()
            for b in 0..<n { for j in 0..<(cg * hw) { dx[(b * g.c + k * cg) * hw + j] = p.dx[b * cg * hw + j] } }
            dW += Array(p.grads.toArray()[0..<wg])
            if hasBias { dB += Array(p.grads.toArray().suffix(og)) }
        }
        assertClose(h.dx.toArray(), dx, "grouped dx case \(i), \(conv.algorithm)", file: file, line: line)
        assertClose(h.grads.toArray(), dW + dB, "grouped dW, db case \(i), \(conv.algorithm)", file: file, line: line)
    }

    func testGradients() {
        for algorithm in [ConvAlgorithm.perSampleGEMM, .batchGEMM] {
            for bias in [true, false] {
                let conv = Conv2D(name: "gconv", input: Shape(4, 6, 5), out: 6, kernel: (3, 2), stride: (2, 1), pad: (1, 1),
                                  bias: bias, groups: 2, algorithm: algorithm)
                checkLayerGradients(LayerHarness(conv, batch: 2, seed: 41))
                // a first layer is not asked for dx: its parameter gradients still are right
                checkLayerGradients(LayerHarness(conv, batch: 2, seed: 42), checkInput: false)
            }
            let depthwise = Conv2D(name: "dwconv", input: Shape(3, 5, 5), out: 6, kernel: (3, 3), stride: (1, 1), pad: (1, 1),
                                   bias: true, groups: 3, algorithm: algorithm)
            checkLayerGradients(LayerHarness(depthwise, batch: 2, seed: 43))
        }
    }

    /// The plan: weight shape, parameter count, fans (PyTorch's: in/groups x kh x kw), the summary
    /// row, and the MACs per pixel (the FLOP count's basis) are the grouped ones.
    func testPlanSummaryAndFans() throws {
        let spec = try ModelSpec.parse(yaml: """
            input: [8, 9, 9]
            layers:
              - conv: {out: 12, kernel: 3, groups: 4}
              - conv: {out: 12, kernel: 1, groups: 12, bias: false}
            """, file: "grouped.yaml")
        let plan = try NetworkPlan(spec)
        XCTAssertEqual(plan.layers[0].weightShape, [12, 2, 3, 3])
        XCTAssertEqual(plan.layers[0].params, 12 * 2 * 9 + 12)
        XCTAssertEqual(plan.layers[1].weightShape, [12, 1, 1, 1])
        XCTAssertEqual(plan.parameterCount, 216 + 12 + 12)
        XCTAssertTrue(plan.layers[0].fans == (fanIn: 18, fanOut: 108))
        let summary = ModelSummary(plan: plan)
        XCTAssertEqual(summary.rows.map(\.weights), [216, 12])
        XCTAssertEqual(summary.totalParams, 240)
        XCTAssertTrue(summary.table().contains("Total params: 240"))
        let net = try Network(spec: spec)
        XCTAssertEqual((net.layers[0] as? Conv2D)?.groups, 4)
        XCTAssertEqual(net.tensors.map(\.shape), [[12, 2, 3, 3], [12], [12, 1, 1, 1]])
    }
}
