// Shared helpers for the NN tests: deterministic random data, a harness that binds one layer to
// its own parameter/gradient buffers, central-difference gradient checking (Caffe's
// GradientChecker, with the scalar loss L = sum(w_i * y_i) so that dL/dy = w), and paths to
// configs/models. Nothing here is a test by itself.

import Core
import Foundation
import XCTest
import NN

/// The repository root (this file is Tests/NNTests/TestSupport.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

func modelPath(_ name: String) -> String {
    repositoryRoot.appendingPathComponent("configs/models/\(name).yaml").path
}

func loadPlan(_ name: String) throws -> NetworkPlan {
    try NetworkPlan(ModelSpec.load(path: modelPath(name)))
}

/// Uniform values in [lo, hi) from a fixed seed.
func randomArray(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in range.lowerBound + (range.upperBound - range.lowerBound) * rng.nextUnitFloat() }
}

/// Distinct values at least `spacing` apart, shuffled: max pooling has no ties or near-ties.
func distinctArray(_ count: Int, seed: UInt64, spacing: Float = 0.05) -> [Float] {
    var rng = SplitMix64(seed: seed)
    var values = (0..<count).map { Float($0) * spacing - Float(count) * spacing / 2 }
    values.shuffle(using: &rng)
    return values
}

/// Values in [-hi, -lo] ∪ [lo, hi]: away from the kinks of relu and leaky relu at 0.
func awayFromZero(_ count: Int, seed: UInt64, lo: Float = 0.1, hi: Float = 2) -> [Float] {
    randomArray(count, seed: seed, in: -1...1).map { v in
        let magnitude = lo + (hi - lo) * abs(v)
        return v < 0 ? -magnitude : magnitude
    }
}

func fill(_ buffer: FloatBuffer, _ values: [Float]) {
    precondition(values.count == buffer.count)
    for (i, v) in values.enumerated() { buffer[i] = v }
}

func buffer(_ values: [Float]) -> FloatBuffer {
    let b = FloatBuffer(count: values.count)
    fill(b, values)
    return b
}

/// One layer with its own flat parameter and gradient buffers and batch-sized x, y, dy, dx.
final class LayerHarness {
    let layer: Layer
    let batch: Int
    let params: FloatBuffer, grads: FloatBuffer
    let x: FloatBuffer, y: FloatBuffer, dy: FloatBuffer, dx: FloatBuffer
    var context: PassContext

    init(_ layer: Layer, batch: Int, seed: UInt64 = 1, context: PassContext = .inference) {
        self.layer = layer
        self.batch = batch
        self.context = context
        params = FloatBuffer(count: layer.parameterCount)
        grads = FloatBuffer(count: layer.parameterCount)
        x = FloatBuffer(count: batch * layer.inputShape.count)
        y = FloatBuffer(count: batch * layer.outputShape.count)
        dy = FloatBuffer(count: batch * layer.outputShape.count)
        dx = FloatBuffer(count: batch * layer.inputShape.count)
        layer.bind(parameters: params.pointer, gradients: grads.pointer)
        layer.reserve(batch: batch)
        fill(x, randomArray(x.count, seed: seed))
        fill(params, randomArray(params.count, seed: seed &+ 1000, in: -0.5...0.5))
    }

    func forward() { layer.forward(x.pointer, y.pointer, batch: batch, context: context) }

    func backward(withDX: Bool = true) {
        layer.backward(x.pointer, y.pointer, dy.pointer, withDX ? dx.pointer : nil, batch: batch)
    }

    /// L = sum(w_i * y_i) in Double after a fresh forward.
    func loss(_ w: [Float]) -> Double {
        forward()
        var sum = 0.0
        for i in 0..<y.count { sum += Double(w[i]) * Double(y[i]) }
        return sum
    }
}

/// Central difference of `loss` with respect to `value[i]`, using the perturbation actually
/// representable in Float.
func centralDifference(_ value: UnsafeMutablePointer<Float>, _ i: Int, eps: Float, _ loss: () -> Double) -> Double {
    let saved = value[i]
    let plus = saved + eps, minus = saved - eps
    value[i] = plus
    let lp = loss()
    value[i] = minus
    let lm = loss()
    value[i] = saved
    return (lp - lm) / (Double(plus) - Double(minus))
}

/// Asserts |a - n| <= rtol * max(|a|, |n|) + atol for every element, reporting the worst one.
func assertGradientsClose(_ analytic: [Double], _ numeric: [Double], rtol: Double = 1e-2, atol: Double = 1e-3,
                          _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(analytic.count, numeric.count, what, file: file, line: line)
    var worst = -1, worstExcess = 0.0
    for i in 0..<min(analytic.count, numeric.count) {
        let a = analytic[i], n = numeric[i]
        let excess = abs(a - n) - (rtol * max(abs(a), abs(n)) + atol)
        if excess > worstExcess || !a.isFinite { worst = i; worstExcess = excess }
    }
    if worst >= 0 {
        XCTFail("\(what)[\(worst)]: analytic \(analytic[worst]) vs numeric \(numeric[worst])", file: file, line: line)
    }
    // a check that compares nothing or only zeros would pass vacuously
    XCTAssertTrue(analytic.contains { $0 != 0 }, "\(what): every analytic gradient is zero", file: file, line: line)
}

/// Checks dx and every parameter gradient of the harness's layer against central differences of
/// L = sum(w_i * y_i), w fixed and random. Parameter gradients are accumulated onto a non-zero
/// starting value to check that backward adds (+=) rather than overwrites.
func checkLayerGradients(_ h: LayerHarness, eps: Float = 1e-2, rtol: Double = 5e-3, atol: Double = 2e-4,
                         seed: UInt64 = 99, checkInput: Bool = true,
                         file: StaticString = #filePath, line: UInt = #line) {
    let w = randomArray(h.y.count, seed: seed)
    h.forward()
    fill(h.dy, w)
    let preset: Float = 0.25
    for i in 0..<h.grads.count { h.grads[i] = preset }
    h.backward(withDX: checkInput)
    let dx = h.dx.toArray().map(Double.init)
    let dParams = h.grads.toArray().map { Double($0 - preset) }

    if checkInput {
        let numeric = (0..<h.x.count).map { i in centralDifference(h.x.pointer, i, eps: eps) { h.loss(w) } }
        assertGradientsClose(dx, numeric, rtol: rtol, atol: atol, "\(h.layer.name) dx", file: file, line: line)
    }
    if h.params.count > 0 {
        let numeric = (0..<h.params.count).map { i in centralDifference(h.params.pointer, i, eps: eps) { h.loss(w) } }
        assertGradientsClose(dParams, numeric, rtol: rtol, atol: atol, "\(h.layer.name) dParams", file: file, line: line)
    }
}


func mean(_ v: [Float]) -> Double { v.reduce(0.0) { $0 + Double($1) } / Double(v.count) }
func standardDeviation(_ v: [Float]) -> Double {
    let m = mean(v)
    return (v.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(v.count)).squareRoot()
}

/// Fails at the first element where `a` and the reference `b` differ by more than `tolerance`
/// relative to max(1, |b|) (and when their counts differ).
func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, what, file: file, line: line)
    for i in 0..<min(a.count, b.count) where !(abs(a[i] - b[i]) <= tolerance * max(1, abs(b[i]))) {
        XCTFail("\(what)[\(i)]: \(a[i]) vs reference \(b[i])", file: file, line: line)
        return
    }
}
