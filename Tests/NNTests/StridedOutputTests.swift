// StridedOutputLayer: every conformer (Conv2D in each algorithm, with bias, groups and the fused
// ReLU; Activation in each function; Pool2D max and average, fast paths, ceil mode and the
// ReLU-masked backward; GlobalAvgPool) run once contiguous and once writing into a slice of a wider
// per-sample buffer (as a branch writes into its channel slice of a concatenation). Outputs, dx and
// parameter gradients must be bit-equal, dy must be left as it was, and the floats around each
// slice (sentinels) untouched by forward and backward. Also Network's in-place ReLU backward on a
// fused convolution's strided output (x == y, dx == dy).

import Core
import Foundation
import XCTest
import NN

final class StridedOutputTests: XCTestCase {
    static let sentinel: Float = -7777.125

    /// Where the slice sits in each sample's wider row: (offset of the slice, floats beyond
    /// outputShape.count). Offset 0 is a concat's first branch; 11 of 21 leaves gaps on both sides
    /// and puts the slice off SIMD alignment.
    static let layouts = [(offset: 0, extra: 7), (offset: 11, extra: 21)]

    /// `batch` samples of `stride` floats each; sample b's slice [offset, offset + count) holds
    /// values[b * count ..< (b + 1) * count] (or zeros), the sentinel everywhere else.
    final class Wide {
        let buffer: FloatBuffer, batch: Int, count: Int, offset: Int, stride: Int
        init(batch: Int, count: Int, offset: Int, extra: Int, values: [Float]? = nil) {
            precondition(offset <= extra)
            self.batch = batch; self.count = count; self.offset = offset; stride = count + extra
            buffer = FloatBuffer(count: batch * stride)
            for i in 0..<buffer.count { buffer[i] = StridedOutputTests.sentinel }
            for b in 0..<batch {
                for i in 0..<count { buffer[b * stride + offset + i] = values?[b * count + i] ?? 0 }
            }
        }
        /// What the layer gets: sample 0's first float of the slice.
        var slice: UnsafeMutablePointer<Float> { buffer.pointer + offset }
        /// The slices, gathered contiguous.
        func values() -> [Float] {
            (0..<batch).flatMap { b in (0..<count).map { buffer[b * stride + offset + $0] } }
        }
        /// The index of the first float outside every slice that is not the sentinel, or nil.
        func firstDisturbedGap() -> Int? {
            for b in 0..<batch {
                for i in 0..<stride where !(offset..<(offset + count)).contains(i) {
                    if buffer[b * stride + i].bitPattern != StridedOutputTests.sentinel.bitPattern { return b * stride + i }
                }
            }
            return nil
        }
    }

    func assertBitEqual(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for i in 0..<min(a.count, b.count) where a[i].bitPattern != b[i].bitPattern {
            XCTFail("\(what)[\(i)]: strided \(a[i]) vs contiguous \(b[i])", file: file, line: line)
            return
        }
    }

    func assertGapsIntact(_ w: Wide, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        if let i = w.firstDisturbedGap() {
            XCTFail("\(what): float \(i) outside the slices is \(w.buffer[i]), not the sentinel", file: file, line: line)
        }
    }

    /// One layer contiguous (LayerHarness) against a second, identical one (same seeds: same x and
    /// parameters) whose y and dy are slices of wider buffers, in each layout.
    func checkStrided(_ what: String, batch n: Int = 3, seed: UInt64, inputGradient: Bool = true,
                      _ make: () -> any StridedOutputLayer, file: StaticString = #filePath, line: UInt = #line) {
        let reference = make()
        XCTAssertEqual(reference.outputStride, reference.outputShape.count, "\(what): default stride", file: file, line: line)
        let h = LayerHarness(reference, batch: n, seed: seed)
        h.forward()
        fill(h.dy, randomArray(h.dy.count, seed: seed &+ 7))
        h.backward(withDX: inputGradient)
        if inputGradient {
            XCTAssertTrue(h.dx.toArray().contains { $0 != 0 }, "\(what): dx all zero", file: file, line: line)
        }

        for (offset, extra) in Self.layouts {
            let tag = "\(what) [offset \(offset), stride +\(extra)]"
            let layer = make()
            let s = LayerHarness(layer, batch: n, seed: seed)
            let count = layer.outputShape.count
            layer.outputStride = count + extra
            let y = Wide(batch: n, count: count, offset: offset, extra: extra)
            layer.forward(s.x.pointer, y.slice, batch: n, context: s.context)
            assertBitEqual(y.values(), h.y.toArray(), "\(tag) y", file: file, line: line)
            assertGapsIntact(y, "\(tag) y after forward", file: file, line: line)

            let dy = Wide(batch: n, count: count, offset: offset, extra: extra, values: h.dy.toArray())
            for i in 0..<s.dx.count { s.dx[i] = 12345 }     // backward must overwrite dx
            layer.backward(s.x.pointer, y.slice, dy.slice, inputGradient ? s.dx.pointer : nil, batch: n)
            if inputGradient { assertBitEqual(s.dx.toArray(), h.dx.toArray(), "\(tag) dx", file: file, line: line) }
            assertBitEqual(s.grads.toArray(), h.grads.toArray(), "\(tag) parameter gradients", file: file, line: line)
            assertBitEqual(y.values(), h.y.toArray(), "\(tag) y after backward", file: file, line: line)
            assertBitEqual(dy.values(), h.dy.toArray(), "\(tag) dy after backward", file: file, line: line)
            assertGapsIntact(y, "\(tag) y after backward", file: file, line: line)
            assertGapsIntact(dy, "\(tag) dy after backward", file: file, line: line)
        }
    }

    // MARK: Conv2D

    /// (input, out, kernel, stride, pad, groups, algorithm) covering every algorithm: direct along
    /// rows (wide planes) and along channels (16 filters over small planes), per-sample and batch
    /// GEMM with 1 and 2 groups.
    static let convolutions: [(Shape, Int, (Int, Int), (Int, Int), (Int, Int), Int, ConvAlgorithm)] = [
        (Shape(3, 10, 20), 6, (3, 3), (1, 1), (1, 1), 1, .direct),
        (Shape(6, 9, 9), 16, (5, 5), (1, 1), (0, 0), 1, .direct),
        (Shape(4, 18, 16), 6, (3, 3), (1, 1), (1, 1), 1, .perSampleGEMM),
        (Shape(4, 18, 16), 6, (3, 3), (1, 1), (1, 1), 2, .perSampleGEMM),
        (Shape(4, 9, 8), 6, (3, 2), (2, 1), (1, 1), 1, .batchGEMM),
        (Shape(4, 9, 8), 6, (3, 2), (2, 1), (1, 1), 2, .batchGEMM),
    ]

    func makeConv(_ i: Int, bias: Bool, relu: Bool) -> Conv2D {
        let (shape, out, kernel, stride, pad, groups, algorithm) = Self.convolutions[i]
        let conv = Conv2D(name: "conv\(i)", input: shape, out: out, kernel: kernel, stride: stride, pad: pad,
                          bias: bias, groups: groups, algorithm: algorithm)
        conv.appliesReLU = relu
        return conv
    }

    func testConvolution() {
        for i in Self.convolutions.indices {
            XCTAssertEqual(makeConv(i, bias: true, relu: false).algorithm, Self.convolutions[i].6, "case \(i)")
            for bias in [true, false] {
                for relu in [false, true] {
                    let what = "conv case \(i) \(Self.convolutions[i].6) bias \(bias) relu \(relu)"
                    checkStrided(what, seed: 10 + UInt64(i)) { makeConv(i, bias: bias, relu: relu) }
                }
            }
            // a first layer: parameter gradients only
            checkStrided("conv case \(i) without dx", seed: 30 + UInt64(i), inputGradient: false) {
                makeConv(i, bias: true, relu: false)
            }
        }
    }

    /// Network's fused convolution + ReLU: the convolution stores max(y, 0) into its strided slice,
    /// the ReLU's backward runs in place on that slice (x == y, dx == dy, all at the output stride),
    /// then the convolution's backward reads the masked dy from the slice.
    func testFusedConvolutionWithInPlaceReLU() {
        let n = 3
        for i in Self.convolutions.indices {
            let what = "fused conv case \(i) \(Self.convolutions[i].6)"
            let conv = makeConv(i, bias: true, relu: true)
            let act = Activation(name: "relu", function: .relu, input: conv.outputShape)
            let h = LayerHarness(conv, batch: n, seed: 50 + UInt64(i))
            h.forward()
            XCTAssertTrue(h.y.toArray().contains(0) && h.y.toArray().contains { $0 > 0 }, "\(what): a mixed mask")
            fill(h.dy, randomArray(h.dy.count, seed: 60 + UInt64(i)))
            act.backward(h.y.pointer, h.y.pointer, h.dy.pointer, h.dy.pointer, batch: n)
            h.backward()

            for (offset, extra) in Self.layouts {
                let tag = "\(what) [offset \(offset), stride +\(extra)]"
                let conv2 = makeConv(i, bias: true, relu: true)
                let act2 = Activation(name: "relu", function: .relu, input: conv2.outputShape)
                let s = LayerHarness(conv2, batch: n, seed: 50 + UInt64(i))
                let count = conv2.outputShape.count
                conv2.outputStride = count + extra
                act2.outputStride = count + extra
                let y = Wide(batch: n, count: count, offset: offset, extra: extra)
                conv2.forward(s.x.pointer, y.slice, batch: n, context: s.context)
                assertBitEqual(y.values(), h.y.toArray(), "\(tag) y")
                let dy = Wide(batch: n, count: count, offset: offset, extra: extra,
                              values: randomArray(h.dy.count, seed: 60 + UInt64(i)))
                act2.backward(y.slice, y.slice, dy.slice, dy.slice, batch: n)
                assertBitEqual(dy.values(), h.dy.toArray(), "\(tag) dy masked in place")
                assertGapsIntact(dy, "\(tag) dy after the in-place ReLU")
                conv2.backward(s.x.pointer, y.slice, dy.slice, s.dx.pointer, batch: n)
                assertBitEqual(s.dx.toArray(), h.dx.toArray(), "\(tag) dx")
                assertBitEqual(s.grads.toArray(), h.grads.toArray(), "\(tag) parameter gradients")
                assertGapsIntact(y, "\(tag) y")
                assertGapsIntact(dy, "\(tag) dy")
            }
        }
    }

    // MARK: Activation

    static let functions: [Activation.Function] = [.relu, .sigmoid, .tanh, .leakyReLU(slope: 0.1)]

    func testActivation() {
        for (k, f) in Self.functions.enumerated() {
            checkStrided("activation \(f)", seed: 70 + UInt64(k)) {
                Activation(name: "act", function: f, input: Shape(3, 5, 7))
            }
        }
    }

    /// Fully in place at the output stride: forward x == y, backward x == y and dx == dy.
    func testActivationInPlace() {
        let n = 3, shape = Shape(3, 5, 7), count = shape.count
        for (k, f) in Self.functions.enumerated() {
            let x = randomArray(n * count, seed: 80 + UInt64(k)), g = randomArray(n * count, seed: 90 + UInt64(k))
            let act = Activation(name: "act", function: f, input: shape)
            let a = buffer(x), d = buffer(g)
            act.forward(a.pointer, a.pointer, batch: n, context: .inference)
            act.backward(a.pointer, a.pointer, d.pointer, d.pointer, batch: n)
            XCTAssertTrue(d.toArray() != g, "\(f): backward changed dy")

            for (offset, extra) in Self.layouts {
                let tag = "in-place \(f) [offset \(offset), stride +\(extra)]"
                let act2 = Activation(name: "act", function: f, input: shape)
                act2.outputStride = count + extra
                let y = Wide(batch: n, count: count, offset: offset, extra: extra, values: x)
                act2.forward(y.slice, y.slice, batch: n, context: .inference)
                assertBitEqual(y.values(), a.toArray(), "\(tag) y")
                let dy = Wide(batch: n, count: count, offset: offset, extra: extra, values: g)
                act2.backward(y.slice, y.slice, dy.slice, dy.slice, batch: n)
                assertBitEqual(dy.values(), d.toArray(), "\(tag) dx")
                assertBitEqual(y.values(), a.toArray(), "\(tag) y after backward")
                assertGapsIntact(y, "\(tag) y")
                assertGapsIntact(dy, "\(tag) dy")
            }
        }
    }

    // MARK: pooling

    func testPooling() {
        // (mode, input, kernel, stride, pad, ceil): 2x2 fast path (exact and odd edges, rows of 4+
        // windows and shorter), 3x3 stride 2 fast path, the general loop (padding, stride 1, ceil
        // mode), average
        let cases: [(Pool2D.Mode, Shape, (Int, Int), (Int, Int), (Int, Int), Bool)] = [
            (.max, Shape(3, 12, 16), (2, 2), (2, 2), (0, 0), false),
            (.max, Shape(3, 7, 5), (2, 2), (2, 2), (0, 0), false),
            (.max, Shape(3, 13, 15), (3, 3), (2, 2), (0, 0), false),
            (.max, Shape(3, 7, 5), (3, 3), (2, 2), (0, 0), false),
            (.max, Shape(3, 8, 9), (3, 3), (1, 1), (1, 1), false),
            (.max, Shape(3, 8, 9), (3, 3), (2, 2), (0, 0), true),
            (.average, Shape(3, 8, 9), (3, 3), (2, 2), (1, 1), false),
            (.average, Shape(3, 12, 16), (2, 2), (2, 2), (0, 0), false),
        ]
        for (i, (mode, shape, kernel, stride, pad, ceil)) in cases.enumerated() {
            for mask in [false, true] {
                checkStrided("pool case \(i) \(mode) masked \(mask)", seed: 100 + UInt64(i)) {
                    let pool = Pool2D(name: "pool", mode: mode, input: shape, kernel: kernel, stride: stride, pad: pad,
                                      ceil: ceil)
                    pool.masksGradientByOutput = mask
                    return pool
                }
            }
        }
    }

    func testGlobalAveragePool() {
        checkStrided("global average pool", seed: 120) { GlobalAvgPool(name: "gap", input: Shape(5, 3, 4)) }
        checkStrided("global average pool 1x1", seed: 121) { GlobalAvgPool(name: "gap", input: Shape(4, 1, 1)) }
    }
}
