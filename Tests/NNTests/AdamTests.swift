// Adam and AdamW against torch.optim.Adam / AdamW's documented update (amsgrad off), worked by
// hand for the first steps and in Double for longer runs:
//   Adam : g = grad + wd * p;  AdamW: p *= 1 - lr * wd
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// plus the optimiser protocol's state (names, layout, step count), gradScale, and momentum setting.

import Core
import Foundation
import NN
import XCTest

final class AdamTests: XCTestCase {
    private let p0: [Float] = [1.0, -2.0, 0.5]
    private let grads: [[Float]] = [[0.5, 0.1, -0.3], [-0.2, 0.4, 0.0], [0.1, 0.1, 0.1], [0.3, -0.5, 0.2]]

    /// Runs the optimiser for each gradient in `grads`; the parameters after each step.
    private func run(_ optimizer: Optimizer, lr: Float, gradScale: Float = 1, grads: [[Float]]? = nil) -> [[Float]] {
        let p = buffer(p0)
        return (grads ?? self.grads).map { g in
            g.withUnsafeBufferPointer {
                optimizer.step(parameters: p.pointer, gradients: $0.baseAddress!, count: p0.count, lr: lr, gradScale: gradScale)
            }
            return p.toArray()
        }
    }

    private func adam(wd: Float = 0, decoupled: Bool = false, betas: (Double, Double) = (0.9, 0.999), eps: Float = 1e-8) -> Adam {
        Adam(parameterCount: p0.count, beta1: betas.0, beta2: betas.1, eps: eps, weightDecay: wd, decoupled: decoupled)
    }

    /// The update in Double, as PyTorch documents it.
    private func reference(lr: Double, wd: Double, decoupled: Bool, b1: Double = 0.9, b2: Double = 0.999,
                           eps: Double = 1e-8) -> [[Double]] {
        var p = p0.map(Double.init), m = [Double](repeating: 0, count: 3), v = m
        var out: [[Double]] = []
        for (k, grad) in grads.enumerated() {
            let t = Double(k + 1)
            for i in 0..<3 {
                if decoupled { p[i] *= 1 - lr * wd }
                let g = Double(grad[i]) + (decoupled ? 0 : wd * p[i])
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                p[i] -= lr / (1 - pow(b1, t)) * m[i] / ((v[i] / (1 - pow(b2, t))).squareRoot() + eps)
            }
            out.append(p)
        }
        return out
    }

    private func assertMatches(_ got: [[Float]], _ want: [[Double]], file: StaticString = #filePath, line: UInt = #line) {
        for (s, (a, b)) in zip(got, want).enumerated() {
            for i in 0..<a.count {
                XCTAssertEqual(Double(a[i]), b[i], accuracy: 2e-6, "step \(s + 1) param \(i)", file: file, line: line)
            }
        }
    }

    func testAdamFirstTwoStepsByHand() {
        let got = run(adam(), lr: 0.1)
        // step 1: m = 0.05, v = 0.00025; m^ = 0.5, v^ = 0.25: p = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.9
        XCTAssertEqual(got[0][0], 0.9, accuracy: 1e-6)
        // every first step moves each parameter by lr against its gradient's sign
        XCTAssertEqual(got[0][1], -2.1, accuracy: 1e-6)
        XCTAssertEqual(got[0][2], 0.6, accuracy: 1e-6)
        // step 2: m = 0.045 - 0.02 = 0.025, v = 0.00024975 + 0.00004 = 0.00028975;
        // m^ = 0.025 / 0.19 = 0.1315789, v^ = 0.00028975 / 0.001999 = 0.1449475, sqrt = 0.3807197:
        // p = 0.9 - 0.1 * 0.1315789 / 0.3807197 = 0.8654394 (torch.optim.Adam gives 0.86543947)
        XCTAssertEqual(got[1][0], 0.8654394, accuracy: 1e-6)
        // a zero gradient after a negative one keeps the parameter rising (m carries it on)
        XCTAssertLessThan(got[0][2] - got[1][2], 0)
        assertMatches(got, reference(lr: 0.1, wd: 0, decoupled: false))
    }

    func testAdamWeightDecayJoinsTheGradient() {
        let got = run(adam(wd: 0.1), lr: 0.1)
        // step 1: g = 0.5 + 0.1 * 1 = 0.6, still one lr against its sign: 0.9
        XCTAssertEqual(got[0][0], 0.9, accuracy: 1e-6)
        assertMatches(got, reference(lr: 0.1, wd: 0.1, decoupled: false))
    }

    func testAdamWDecaysTheParametersApart() {
        let got = run(adam(wd: 0.1, decoupled: true), lr: 0.1)
        // step 1: p = 1 x (1 - 0.1 x 0.1) = 0.99, then 0.99 - 0.1 = 0.89
        XCTAssertEqual(got[0][0], 0.89, accuracy: 1e-6)
        // -2 x 0.99 = -1.98, gradient 0.1 > 0: -2.08
        XCTAssertEqual(got[0][1], -2.08, accuracy: 1e-6)
        assertMatches(got, reference(lr: 0.1, wd: 0.1, decoupled: true))
        assertMatches(run(adam(wd: 0.01, decoupled: true, betas: (0.8, 0.99), eps: 1e-3), lr: 0.05),
                      reference(lr: 0.05, wd: 0.01, decoupled: true, b1: 0.8, b2: 0.99, eps: 1e-3))
    }

    func testGradScaleIsTheSameAsScaledGradients() {
        let scaled = grads.map { $0.map { $0 * 0.25 } }
        XCTAssertEqual(run(adam(wd: 0.01), lr: 0.1, gradScale: 0.25), run(adam(wd: 0.01), lr: 0.1, grads: scaled))
    }

    func testStateStepCountAndMomentum() {
        let a = adam(decoupled: true)
        XCTAssertEqual(a.kind, .adamw)
        XCTAssertEqual(a.state.map(\.suffix), ["exp_avg", "exp_avg_sq"])
        XCTAssertEqual(a.state.map(\.suffix), OptimizerKind.adamw.stateSuffixes)
        _ = run(a, lr: 0.1, grads: [grads[0]])
        XCTAssertEqual(a.stepCount, 1)
        // after one step the buffers are (1 - b1) g and (1 - b2) g^2, in the parameter layout
        for i in 0..<3 {
            XCTAssertEqual(a.state[0].buffer[i], 0.1 * grads[0][i], accuracy: 1e-7)
            XCTAssertEqual(a.state[1].buffer[i], 0.001 * grads[0][i] * grads[0][i], accuracy: 1e-9)
        }
        a.setMomentum(0.85)
        XCTAssertEqual(a.beta1, 0.85)
        let sgd = makeOptimizer(OptimizerSettings(kind: .sgd, momentum: 0.9), parameterCount: 3)
        XCTAssertEqual(sgd.state.map(\.suffix), ["momentum"])
        sgd.setMomentum(0.95)
        XCTAssertEqual((sgd as? SGD)?.momentum, 0.95)
        XCTAssertEqual(makeOptimizer(OptimizerSettings(kind: .adam), parameterCount: 3).kind, .adam)
    }

    /// Resuming = a fresh optimiser given the saved buffers and step count: the next steps are
    /// bit-identical to the uninterrupted run's.
    func testRestoredStateContinuesBitIdentically() {
        let whole = adam(wd: 0.01)
        let wholeRun = run(whole, lr: 0.1)
        let first = adam(wd: 0.01)
        let p = buffer(p0)
        for g in grads.prefix(2) {
            g.withUnsafeBufferPointer { first.step(parameters: p.pointer, gradients: $0.baseAddress!, count: 3, lr: 0.1, gradScale: 1) }
        }
        let second = adam(wd: 0.01)
        for (a, b) in zip(first.state, second.state) { _ = b.buffer.update(fromContentsOf: a.buffer) }
        second.stepCount = first.stepCount
        var after: [[Float]] = []
        for g in grads.dropFirst(2) {
            g.withUnsafeBufferPointer { second.step(parameters: p.pointer, gradients: $0.baseAddress!, count: 3, lr: 0.1, gradScale: 1) }
            after.append(p.toArray())
        }
        XCTAssertEqual(after, Array(wholeRun.dropFirst(2)))
    }
}
