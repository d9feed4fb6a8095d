// Forward passes against naive loop references (Caffe's caffe_conv style, accumulating in Double)
// on random data, and tiny hand-computed cases for conv, pooling, linear, LRN, activations and the
// losses. LRN follows PyTorch: window c - size/2 ... c + (size-1)/2, alpha divided by size.

import Core
import Foundation
import XCTest
import NN

final class ReferenceTests: XCTestCase {
    // MARK: naive references

    /// y[n, o, i, j] = b[o] + sum_{c, p, q} x[n, c, i*sh - ph + p, j*sw - pw + q] * w[o, c, p, q]
    static func naiveConv(_ x: [Float], _ s: Shape, batch: Int, weight: [Float], bias: [Float]?, out: Int,
                          kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int)) -> [Float] {
        let oh = windowOutputSize(s.h, kernel: kernel.0, stride: stride.0, pad: pad.0)
        let ow = windowOutputSize(s.w, kernel: kernel.1, stride: stride.1, pad: pad.1)
        var y = [Float](repeating: 0, count: batch * out * oh * ow)
        for n in 0..<batch {
            for o in 0..<out {
                for i in 0..<oh {
                    for j in 0..<ow {
                        var sum = Double(bias?[o] ?? 0)
                        for c in 0..<s.c {
                            for p in 0..<kernel.0 {
                                for q in 0..<kernel.1 {
                                    let r = i * stride.0 - pad.0 + p, t = j * stride.1 - pad.1 + q
                                    guard r >= 0, r < s.h, t >= 0, t < s.w else { continue }
                                    sum += Double(x[((n * s.c + c) * s.h + r) * s.w + t])
                                        * Double(weight[((o * s.c + c) * kernel.0 + p) * kernel.1 + q])
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

    /// Max (padding never wins) or average (divisor kh*kw, padding included) over each window.
    static func naivePool(_ x: [Float], _ s: Shape, batch: Int, max isMax: Bool, kernel: (Int, Int),
                          stride: (Int, Int), pad: (Int, Int)) -> [Float] {
        let oh = windowOutputSize(s.h, kernel: kernel.0, stride: stride.0, pad: pad.0)
        let ow = windowOutputSize(s.w, kernel: kernel.1, stride: stride.1, pad: pad.1)
        var y: [Float] = []
        for plane in 0..<(batch * s.c) {
            for i in 0..<oh {
                for j in 0..<ow {
                    var best = -Float.infinity, sum = 0.0
                    for p in 0..<kernel.0 {
                        for q in 0..<kernel.1 {
                            let r = i * stride.0 - pad.0 + p, t = j * stride.1 - pad.1 + q
                            guard r >= 0, r < s.h, t >= 0, t < s.w else { continue }
                            let v = x[(plane * s.h + r) * s.w + t]
                            best = max(best, v); sum += Double(v)
                        }
                    }
                    y.append(isMax ? best : Float(sum / Double(kernel.0 * kernel.1)))
                }
            }
        }
        return y
    }

    /// PyTorch's LocalResponseNorm: b_c = a_c (k + alpha/n sum_{c'=max(0, c-n/2)}^{min(C-1, c+(n-1)/2)} a_{c'}^2)^-beta
    static func naiveLRN(_ x: [Float], _ s: Shape, batch: Int, size: Int, alpha: Double, beta: Double, k: Double) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        let hw = s.h * s.w
        for n in 0..<batch {
            for c in 0..<s.c {
                for i in 0..<hw {
                    var sum = 0.0
                    for j in max(0, c - size / 2)...min(s.c - 1, c + (size - 1) / 2) {
                        let v = Double(x[(n * s.c + j) * hw + i]); sum += v * v
                    }
                    let idx = (n * s.c + c) * hw + i
                    y[idx] = Float(Double(x[idx]) * pow(k + alpha / Double(size) * sum, -beta))
                }
            }
        }
        return y
    }

    // MARK: convolution

    func testConvMatchesNaiveLoops() {
        let cases: [(Shape, Int, (Int, Int), (Int, Int), (Int, Int), Bool)] = [
            (Shape(3, 7, 5), 4, (3, 2), (2, 2), (1, 1), true),
            (Shape(2, 8, 9), 5, (3, 3), (1, 1), (1, 1), true),
            (Shape(1, 11, 11), 3, (5, 5), (3, 2), (2, 0), false),
            (Shape(4, 5, 6), 2, (1, 1), (1, 1), (0, 0), true),
            (Shape(2, 6, 4), 3, (2, 4), (1, 3), (0, 2), true),
            // output planes of 256 or more pixels take Conv2D's per-sample GEMM path
            (Shape(2, 20, 18), 3, (3, 3), (1, 1), (1, 1), true),
            (Shape(1, 33, 40), 4, (5, 4), (2, 2), (2, 1), false),
        ]
        for (i, (shape, out, kernel, stride, pad, hasBias)) in cases.enumerated() {
            for algorithm in [nil, ConvAlgorithm.direct, .perSampleGEMM, .batchGEMM] {
                let conv = Conv2D(name: "conv", input: shape, out: out, kernel: kernel, stride: stride, pad: pad,
                                  bias: hasBias, algorithm: algorithm)
                let h = LayerHarness(conv, batch: 3, seed: 100 + UInt64(i))
                h.forward()
                let weight = Array(h.params.toArray()[0 ..< out * shape.c * kernel.0 * kernel.1])
                let bias = hasBias ? Array(h.params.toArray().suffix(out)) : nil
                let reference = Self.naiveConv(h.x.toArray(), shape, batch: 3, weight: weight, bias: bias, out: out,
                                               kernel: kernel, stride: stride, pad: pad)
                assertClose(h.y.toArray(), reference, "conv case \(i), \(conv.algorithm)")
            }
        }
    }

    /// The direct kernels' edges: channels not a multiple of the 6- and 3-channel tiles, taps not
    /// a multiple of 3, rows wider than one 16-column chunk and not a multiple of 8, padding up to
    /// kernel - 1, and LeNet's two layers; forward against naive loops, both gradients against
    /// the batch-GEMM algorithm.
    func testDirectConvAgreesWithGEMM() {
        let cases: [(Shape, Int, (Int, Int), (Int, Int))] = [
            (Shape(1, 28, 28), 6, (5, 5), (2, 2)),      // LeNet conv1
            (Shape(6, 14, 14), 16, (5, 5), (0, 0)),     // LeNet conv2
            (Shape(3, 9, 37), 7, (3, 4), (2, 3)),       // 3 chunks per row, 7 channels, 36 taps
            (Shape(2, 5, 3), 1, (2, 1), (1, 0)),        // one channel, 4 taps, 1-column chunks
            (Shape(5, 4, 17), 13, (1, 1), (0, 0)),      // pointwise
        ]
        for (i, (shape, out, kernel, pad)) in cases.enumerated() {
            let direct = Conv2D(name: "d", input: shape, out: out, kernel: kernel, stride: (1, 1), pad: pad, bias: true,
                                algorithm: .direct)
            let gemm = Conv2D(name: "g", input: shape, out: out, kernel: kernel, stride: (1, 1), pad: pad, bias: true,
                              algorithm: .batchGEMM)
            XCTAssertEqual(direct.algorithm, .direct)
            let d = LayerHarness(direct, batch: 3, seed: 200 + UInt64(i)), g = LayerHarness(gemm, batch: 3, seed: 200 + UInt64(i))
            fill(d.dy, randomArray(d.dy.count, seed: 300 + UInt64(i)))
            for (a, b) in [(d.x, g.x), (d.params, g.params), (d.dy, g.dy)] { fill(b, a.toArray()) }
            d.forward(); g.forward()
            let weight = Array(d.params.toArray()[0 ..< out * shape.c * kernel.0 * kernel.1])
            let reference = Self.naiveConv(d.x.toArray(), shape, batch: 3, weight: weight,
                                           bias: Array(d.params.toArray().suffix(out)), out: out,
                                           kernel: kernel, stride: (1, 1), pad: pad)
            assertClose(d.y.toArray(), reference, "direct forward case \(i)")
            d.backward(); g.backward()
            assertClose(d.dx.toArray(), g.dx.toArray(), "direct dx case \(i)")
            assertClose(d.grads.toArray(), g.grads.toArray(), "direct dW, db case \(i)")
            // a first layer has no dx; its parameter gradients must not depend on that
            d.grads.zero()
            d.backward(withDX: false)
            assertClose(d.grads.toArray(), g.grads.toArray(), "direct dW, db without dx, case \(i)")
        }
    }

    /// x = 1...9 (3x3), weight [[1, 2], [3, 4]], bias 0.5.
    func testConvByHand() {
        let conv = Conv2D(name: "conv", input: Shape(1, 3, 3), out: 1, kernel: (2, 2), stride: (1, 1), pad: (0, 0), bias: true)
        let h = LayerHarness(conv, batch: 1)
        fill(h.x, (1...9).map(Float.init))
        fill(h.params, [1, 2, 3, 4, 0.5])
        h.forward()
        XCTAssertEqual(h.y.toArray(), [37.5, 47.5, 67.5, 77.5])   // 1+4+12+20, 2+6+15+24, ...

        let padded = Conv2D(name: "conv", input: Shape(1, 3, 3), out: 1, kernel: (2, 2), stride: (1, 1), pad: (1, 1), bias: true)
        let p = LayerHarness(padded, batch: 1)
        fill(p.x, (1...9).map(Float.init))
        fill(p.params, [1, 2, 3, 4, 0.5])
        p.forward()
        XCTAssertEqual(padded.outputShape, Shape(1, 4, 4))
        XCTAssertEqual(p.y[0], 4.5)        // x[0,0] * w[1,1]
        XCTAssertEqual(p.y[3], 9.5)        // x[0,2] * w[1,0]
        XCTAssertEqual(p.y[12], 14.5)      // x[2,0] * w[0,1]
        XCTAssertEqual(p.y[15], 9.5)       // x[2,2] * w[0,0]
        XCTAssertEqual(p.y[5], 37.5)       // the unpadded window at (0, 0)

        // two output channels and two samples keep NCHW order
        let two = Conv2D(name: "conv", input: Shape(1, 2, 2), out: 2, kernel: (1, 1), stride: (1, 1), pad: (0, 0), bias: true)
        let t = LayerHarness(two, batch: 2)
        fill(t.x, [1, 2, 3, 4, 5, 6, 7, 8])
        fill(t.params, [2, -1, 0, 10])
        t.forward()
        XCTAssertEqual(t.y.toArray(), [2, 4, 6, 8, 9, 8, 7, 6, 10, 12, 14, 16, 5, 4, 3, 2])
    }

    /// col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>.
    func testIm2colAdjoint() {
        let g = ConvGeometry(c: 2, h: 5, w: 7, kh: 3, kw: 2, sh: 2, sw: 3, ph: 1, pw: 1)
        let n = 2, columns = n * g.oh * g.ow
        let x = buffer(randomArray(n * g.c * g.h * g.w, seed: 140))
        let c = buffer(randomArray(g.rows * columns, seed: 141))
        let cols = FloatBuffer(count: g.rows * columns), dx = FloatBuffer(count: x.count)
        im2col(x.pointer, batch: n, g, cols.pointer)
        col2im(c.pointer, batch: n, g, dx.pointer)
        var lhs = 0.0, rhs = 0.0
        for i in 0..<cols.count { lhs += Double(cols[i]) * Double(c[i]) }
        for i in 0..<x.count { rhs += Double(x[i]) * Double(dx[i]) }
        XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)))
        // im2col's layout: row (c, i, j), column (n, oh, ow)
        let row = (1 * g.kh + 2) * g.kw + 1, col = 1 * g.oh * g.ow + 1 * g.ow + 2     // c 1, i 2, j 1; n 1, oh 1, ow 2
        let iy = 1 * g.sh - g.ph + 2, ix = 2 * g.sw - g.pw + 1
        XCTAssertEqual(cols[row * columns + col], x[((1 * g.c + 1) * g.h + iy) * g.w + ix])
    }

    // MARK: linear

    func testLinearMatchesNaiveLoops() {
        let fc = Linear(name: "fc", input: Shape(flat: 13), out: 7, bias: true)
        let h = LayerHarness(fc, batch: 4, seed: 150)
        h.forward()
        var reference: [Float] = []
        for n in 0..<4 {
            for o in 0..<7 {
                var sum = Double(h.params[7 * 13 + o])
                for i in 0..<13 { sum += Double(h.x[n * 13 + i]) * Double(h.params[o * 13 + i]) }
                reference.append(Float(sum))
            }
        }
        assertClose(h.y.toArray(), reference, "linear")
    }

    func testLinearByHand() {
        let fc = Linear(name: "fc", input: Shape(flat: 2), out: 3, bias: true)
        let h = LayerHarness(fc, batch: 1)
        fill(h.x, [1, 2])
        fill(h.params, [1, 2, 3, 4, 5, 6, 0.5, -1, 0])   // W (3, 2) row-major, then b
        h.forward()
        XCTAssertEqual(h.y.toArray(), [5.5, 10, 17])
        let noBias = Linear(name: "fc", input: Shape(flat: 2), out: 3, bias: false)
        let n = LayerHarness(noBias, batch: 2)
        fill(n.x, [1, 2, -1, 0])
        fill(n.params, [1, 2, 3, 4, 5, 6])
        n.forward()
        XCTAssertEqual(n.y.toArray(), [5, 11, 17, -1, -3, -5])
    }

    // MARK: pooling

    func testPoolingMatchesNaiveLoops() {
        let cases: [(Shape, (Int, Int), (Int, Int), (Int, Int))] = [
            (Shape(3, 7, 5), (3, 3), (2, 2), (1, 1)),
            (Shape(2, 8, 8), (2, 2), (2, 2), (0, 0)),
            (Shape(2, 7, 9), (3, 2), (1, 3), (1, 1)),
            (Shape(1, 13, 13), (3, 3), (2, 2), (0, 0)),
            (Shape(2, 28, 28), (2, 2), (2, 2), (0, 0)),      // 2x2 fast path, 14 windows a row
            (Shape(3, 10, 11), (2, 2), (2, 2), (0, 0)),      // 5 windows, odd width
            (Shape(1, 7, 6), (2, 2), (2, 2), (0, 0)),        // 3 windows, odd height
            (Shape(2, 27, 27), (3, 3), (2, 2), (0, 0)),      // 3x3/2 fast path, 13 windows a row
            (Shape(1, 9, 10), (3, 3), (2, 2), (0, 0)),       // 4 windows: one SIMD step
            (Shape(1, 8, 7), (3, 3), (2, 2), (0, 0)),        // 3 windows, one at a time
        ]
        for (i, (shape, kernel, stride, pad)) in cases.enumerated() {
            for mode in [Pool2D.Mode.max, .average] {
                let pool = Pool2D(name: "pool", mode: mode, input: shape, kernel: kernel, stride: stride, pad: pad)
                let h = LayerHarness(pool, batch: 2, seed: 160 + UInt64(i))
                h.forward()
                let reference = Self.naivePool(h.x.toArray(), shape, batch: 2, max: mode == .max, kernel: kernel,
                                               stride: stride, pad: pad)
                assertClose(h.y.toArray(), reference, "\(mode) pool case \(i)")
            }
        }
    }

    /// The 3x3/2 fast path against the general loop (the same layer with padding 0 forced through
    /// it is not possible, so against a naive first-maximum argmax) on inputs full of ties: the
    /// pooled values and where backward routes each window's gradient.
    func testMaxPool3x3TiesKeepTheFirstMaximum() {
        for (i, shape) in [Shape(2, 27, 27), Shape(1, 13, 13), Shape(1, 9, 10), Shape(1, 7, 8)].enumerated() {
            let pool = Pool2D(name: "pool", mode: .max, input: shape, kernel: (3, 3), stride: (2, 2), pad: (0, 0))
            let h = LayerHarness(pool, batch: 2, seed: 170 + UInt64(i))
            fill(h.x, randomArray(h.x.count, seed: 180 + UInt64(i)).map { ($0 * 2).rounded() })   // -2 ... 2
            h.forward()
            fill(h.dy, (0..<h.dy.count).map { Float($0 + 1) })
            h.backward()
            let x = h.x.toArray(), oh = pool.outputShape.h, ow = pool.outputShape.w
            var y: [Float] = [], dx = [Float](repeating: 0, count: x.count)
            for plane in 0..<(2 * shape.c) {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var best = -Float.infinity, at = -1
                        for r in 0..<3 {
                            for c in 0..<3 {
                                let k = (plane * shape.h + 2 * oy + r) * shape.w + 2 * ox + c
                                if at < 0 || x[k] > best { best = x[k]; at = k }
                            }
                        }
                        y.append(best)
                        dx[at] += Float(y.count)
                    }
                }
            }
            XCTAssertEqual(h.y.toArray(), y, "case \(i) values")
            XCTAssertEqual(h.dx.toArray(), dx, "case \(i) gradient routing")
        }
    }

    func testPoolingByHand() {
        let x: [Float] = [1, 2, 5, 3,
                          4, 0, 1, 2,
                          7, 8, 2, 6,
                          3, 9, 4, 1]
        func run(_ mode: Pool2D.Mode, _ k: Int, _ s: Int, _ p: Int) -> (y: [Float], dx: [Float]) {
            let pool = Pool2D(name: "pool", mode: mode, input: Shape(1, 4, 4), kernel: (k, k), stride: (s, s), pad: (p, p))
            let h = LayerHarness(pool, batch: 1)
            fill(h.x, x)
            h.forward()
            fill(h.dy, [Float](repeating: 1, count: h.dy.count))
            h.backward()
            return (h.y.toArray(), h.dx.toArray())
        }
        let max2 = run(.max, 2, 2, 0)
        XCTAssertEqual(max2.y, [4, 5, 9, 6])
        XCTAssertEqual(max2.dx, [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0])
        let max3 = run(.max, 3, 2, 1)                       // overlapping windows: 9 wins twice
        XCTAssertEqual(max3.y, [4, 5, 9, 9])
        XCTAssertEqual(max3.dx, [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0])
        let avg2 = run(.average, 2, 2, 0)
        XCTAssertEqual(avg2.y, [1.75, 2.75, 6.75, 3.25])
        XCTAssertEqual(avg2.dx, [Float](repeating: 0.25, count: 16))
        let avg3 = run(.average, 3, 2, 1)                   // padding counts in the divisor
        for (a, b) in zip(avg3.y, [7.0 / 9, 13.0 / 9, 31.0 / 9, 33.0 / 9] as [Float]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        // all-negative input: max pooling ignores the zero padding
        let pool = Pool2D(name: "pool", mode: .max, input: Shape(1, 2, 2), kernel: (2, 2), stride: (1, 1), pad: (1, 1))
        let h = LayerHarness(pool, batch: 1)
        fill(h.x, [-4, -3, -2, -1])
        h.forward()
        XCTAssertEqual(h.y.toArray(), [-4, -3, -3, -2, -1, -1, -2, -1, -1])
    }

    // MARK: local response normalisation

    func testLRNMatchesNaiveLoops() {
        for (i, size) in [1, 2, 3, 4, 5, 7].enumerated() {
            let shape = Shape(6, 3, 2)
            let lrn = LocalResponseNorm(name: "lrn", input: shape, size: size, alpha: 0.7, beta: 0.75, k: 1.5)
            let h = LayerHarness(lrn, batch: 2, seed: 170 + UInt64(i))
            fill(h.x, randomArray(h.x.count, seed: 180 + UInt64(i), in: -2...2))
            h.forward()
            let reference = Self.naiveLRN(h.x.toArray(), shape, batch: 2, size: size, alpha: 0.7, beta: 0.75, k: 1.5)
            assertClose(h.y.toArray(), reference, tolerance: 1e-5, "lrn size \(size)")
        }
    }

    /// x = [1, 2, 3] over three 1x1 channels, beta 1, k 1, alpha chosen so alpha/size = 1.
    func testLRNByHand() {
        func run(size: Int, alpha: Float) -> [Float] {
            let lrn = LocalResponseNorm(name: "lrn", input: Shape(3, 1, 1), size: size, alpha: alpha, beta: 1, k: 1)
            let h = LayerHarness(lrn, batch: 1)
            fill(h.x, [1, 2, 3])
            h.forward()
            return h.y.toArray()
        }
        // size 3: windows {0,1}, {0,1,2}, {1,2}: scales 1+5, 1+14, 1+13
        for (a, b) in zip(run(size: 3, alpha: 3), [1.0 / 6, 2.0 / 15, 3.0 / 14] as [Float]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        // size 2 (PyTorch: c - 1 ... c): windows {0}, {0,1}, {1,2}: scales 1+1, 1+5, 1+13
        for (a, b) in zip(run(size: 2, alpha: 2), [1.0 / 2, 2.0 / 6, 3.0 / 14] as [Float]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        // AlexNet's setting: size 5, alpha 0.0005 (= 1e-4 per square), beta 0.75, k 2
        let lrn = LocalResponseNorm(name: "lrn", input: Shape(3, 1, 1), size: 5, alpha: 0.0005, beta: 0.75, k: 2)
        let h = LayerHarness(lrn, batch: 1)
        fill(h.x, [10, 20, 30])
        h.forward()
        XCTAssertEqual(Double(h.y[1]), 20 * pow(2 + 1e-4 * 1400, -0.75), accuracy: 1e-5)
    }

    // MARK: activations, flatten, dropout

    func testActivationsByHandAndReference() {
        let x: [Float] = [-100, -2, -0.5, 0, 0.5, 2, 100]
        func run(_ f: Activation.Function) -> [Float] {
            let h = LayerHarness(Activation(name: "act", function: f, input: Shape(flat: x.count)), batch: 1)
            fill(h.x, x)
            h.forward()
            return h.y.toArray()
        }
        XCTAssertEqual(run(.relu), [0, 0, 0, 0, 0.5, 2, 100])
        XCTAssertEqual(run(.leakyReLU(slope: 0.1)), [-10, -0.2, -0.05, 0, 0.5, 2, 100])
        let s = run(.sigmoid), t = run(.tanh)
        for i in 0..<x.count {
            XCTAssertEqual(Double(s[i]), 1 / (1 + exp(-Double(x[i]))), accuracy: 1e-6)
            XCTAssertEqual(Double(t[i]), tanh(Double(x[i])), accuracy: 1e-6)
        }
        XCTAssertEqual(s[3], 0.5)
    }

    func testFlattenKeepsCHWOrder() {
        let h = LayerHarness(Flatten(name: "flatten", input: Shape(2, 3, 4)), batch: 2, seed: 190)
        h.forward()
        XCTAssertEqual(h.y.toArray(), h.x.toArray())
        XCTAssertEqual(h.layer.outputShape.description, "[-1, 24]")
    }

    func testDropoutEvaluationIsIdentity() {
        let h = LayerHarness(Dropout(name: "dropout", p: 0.5, input: Shape(flat: 50), salt: 1), batch: 2, seed: 191)
        h.forward()
        XCTAssertEqual(h.y.toArray(), h.x.toArray())
        fill(h.dy, randomArray(h.dy.count, seed: 192))
        h.backward()
        XCTAssertEqual(h.dx.toArray(), h.dy.toArray())
    }

    /// Masks depend on (seed, epoch, sample index) only: one batch of 4 or two batches of 2 (two
    /// ranks) drop the same elements.
    func testDropoutMaskIndependentOfBatching() {
        let shape = Shape(3, 2, 2), count = shape.count
        func masks(ids: [Int32], epoch: Int) -> [Float] {
            let layer = Dropout(name: "dropout", p: 0.5, input: shape, salt: 4)
            let h = LayerHarness(layer, batch: ids.count)
            fill(h.x, [Float](repeating: 1, count: h.x.count))
            ids.withUnsafeBufferPointer { p in
                h.context = PassContext(training: true, seed: 42, epoch: epoch, sampleIDs: p.baseAddress)
                h.forward()
            }
            return h.y.toArray()
        }
        let whole = masks(ids: [10, 11, 12, 13], epoch: 1)
        let halves = masks(ids: [10, 11], epoch: 1) + masks(ids: [12, 13], epoch: 1)
        XCTAssertEqual(whole, halves)
        XCTAssertEqual(Array(masks(ids: [12], epoch: 1)), Array(whole[2 * count ..< 3 * count]))
        XCTAssertNotEqual(whole, masks(ids: [10, 11, 12, 13], epoch: 2), "a new epoch draws new masks")
        XCTAssertTrue(whole.contains(0) && whole.contains(2), "p = 0.5 keeps some and drops some")
    }

    // MARK: losses

    func testLossesByHand() {
        let labels: [Int32] = [3, 0]
        labels.withUnsafeBufferPointer { lp in
            // uniform logits: loss log K, gradient softmax - onehot = 1/4 - [label]
            let z = buffer([0, 0, 0, 0, 1, 2, 3, 4])
            let g = FloatBuffer(count: 8)
            let stats = LossFunction.softmaxCrossEntropy.evaluate(logits: z.pointer, labels: lp.baseAddress!, batch: 2,
                                                                  classes: 4, gradient: g.pointer, scale: 0.5)
            let lse = log(exp(1.0) + exp(2.0) + exp(3.0) + exp(4.0))
            XCTAssertEqual(stats.lossSum, log(4.0) + lse - 1, accuracy: 1e-6)
            XCTAssertEqual(stats.count, 2)
            XCTAssertEqual(stats.correct, 0)      // sample 0: a tie resolves to class 0; sample 1: class 3 wins
            XCTAssertEqual(stats.top5, 2)         // K = 4 <= 5
            XCTAssertEqual(g[0], 0.125, accuracy: 1e-7)
            XCTAssertEqual(g[3], (0.25 - 1) * 0.5, accuracy: 1e-7)
            XCTAssertEqual(g[4], Float((exp(1.0 - lse) - 1) * 0.5), accuracy: 1e-6)
        }
        // huge logits stay finite (log-sum-exp)
        let big = buffer([1000, -1000, 0])
        let label: [Int32] = [1]
        label.withUnsafeBufferPointer { lp in
            let stats = LossFunction.softmaxCrossEntropy.evaluate(logits: big.pointer, labels: lp.baseAddress!, batch: 1, classes: 3)
            XCTAssertEqual(stats.lossSum, 2000, accuracy: 1e-3)
        }
        // top-5 over 7 classes: the label is 6th largest in sample 0, 5th in sample 1
        let seven = buffer([7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1])
        let ranks: [Int32] = [5, 4]
        ranks.withUnsafeBufferPointer { lp in
            let stats = LossFunction.softmaxCrossEntropy.evaluate(logits: seven.pointer, labels: lp.baseAddress!, batch: 2, classes: 7)
            XCTAssertEqual(stats.top5, 1)
            XCTAssertEqual(stats.correct, 0)
        }
        // logistic: softplus(z) - t z
        let z = buffer([0, 2, -3])
        let t: [Int32] = [1, 0, 0]
        t.withUnsafeBufferPointer { lp in
            let g = FloatBuffer(count: 3)
            let stats = LossFunction.logistic.evaluate(logits: z.pointer, labels: lp.baseAddress!, batch: 3, classes: 1,
                                                       gradient: g.pointer, scale: 1)
            XCTAssertEqual(stats.lossSum, log(2.0) + log(1 + exp(2.0)) + log(1 + exp(-3.0)), accuracy: 1e-6)
            XCTAssertEqual(stats.correct, 1)      // z 0 predicts 0 (threshold), 2 predicts 1, -3 predicts 0
            XCTAssertEqual(g[0], -0.5, accuracy: 1e-7)
            XCTAssertEqual(Double(g[1]), 1 / (1 + exp(-2.0)), accuracy: 1e-6)
        }
        XCTAssertEqual(LossFunction.forOutputs(1), .logistic)
        XCTAssertEqual(LossFunction.forOutputs(10), .softmaxCrossEntropy)
    }
}
