// SGD against torch.optim.SGD's documented update (dampening 0), worked by hand in Double:
//   g = grad + wd * p;  v = mu * v + g (v = g on the first step);  step = nesterov ? g + mu * v : v;  p -= lr * step

import Core
import XCTest
import NN

final class SGDTests: XCTestCase {
    private let p0: [Float] = [1.0, -2.0, 0.5]
    private let grads: [[Float]] = [[0.5, 0.1, -0.3], [-0.2, 0.4, 0.0], [0.1, 0.1, 0.1]]

    /// Runs SGD for each gradient in `grads` and returns the parameters after each step.
    private func run(lr: Float, momentum: Float, weightDecay: Float, nesterov: Bool) -> [[Float]] {
        let sgd = SGD(parameterCount: p0.count, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov)
        let p = buffer(p0)
        return grads.map { g in
            g.withUnsafeBufferPointer { sgd.step(parameters: p.pointer, gradients: $0.baseAddress!, count: p0.count, lr: lr) }
            return p.toArray()
        }
    }

    /// The same update in Double, written out as PyTorch documents it.
    private func reference(lr: Double, momentum mu: Double, weightDecay wd: Double, nesterov: Bool) -> [[Double]] {
        var p = p0.map(Double.init)
        var v: [Double]? = nil
        var out: [[Double]] = []
        for grad in grads {
            let g = zip(grad, p).map { Double($0) + wd * $1 }
            var step = g
            if mu != 0 {
                let buf = v.map { old in zip(old, g).map { mu * $0 + $1 } } ?? g
                v = buf
                step = nesterov ? zip(g, buf).map { $0 + mu * $1 } : buf
            }
            p = zip(p, step).map { $0 - lr * $1 }
            out.append(p)
        }
        return out
    }

    private func check(lr: Float, momentum: Float, weightDecay: Float, nesterov: Bool, file: StaticString = #filePath, line: UInt = #line) {
        let got = run(lr: lr, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov)
        let want = reference(lr: Double(lr), momentum: Double(momentum), weightDecay: Double(weightDecay), nesterov: nesterov)
        for (s, (a, b)) in zip(got, want).enumerated() {
            for i in 0..<a.count {
                XCTAssertEqual(Double(a[i]), b[i], accuracy: 1e-6, "step \(s + 1) param \(i)", file: file, line: line)
            }
        }
    }

    func testPlainSGDByHand() {
        let got = run(lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false)
        XCTAssertEqual(got[0][0], 0.95, accuracy: 1e-7)        // 1 - 0.1 * 0.5
        XCTAssertEqual(got[0][1], -2.01, accuracy: 1e-7)       // -2 - 0.1 * 0.1
        XCTAssertEqual(got[1][0], 0.97, accuracy: 1e-7)        // 0.95 + 0.1 * 0.2
        check(lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false)
    }

    func testWeightDecayByHand() {
        let got = run(lr: 0.1, momentum: 0, weightDecay: 0.01, nesterov: false)
        XCTAssertEqual(got[0][0], 1 - 0.1 * (0.5 + 0.01 * 1), accuracy: 1e-7)     // 0.949
        XCTAssertEqual(got[0][1], -2 - 0.1 * (0.1 - 0.01 * 2), accuracy: 1e-7)    // -2.008
        check(lr: 0.1, momentum: 0, weightDecay: 0.01, nesterov: false)
    }

    func testMomentumByHand() {
        let got = run(lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: false)
        // step 1: v = 0.5, p = 0.95; step 2: v = 0.9 * 0.5 - 0.2 = 0.25, p = 0.95 - 0.025 = 0.925
        XCTAssertEqual(got[0][0], 0.95, accuracy: 1e-7)
        XCTAssertEqual(got[1][0], 0.925, accuracy: 1e-7)
        // step 3: v = 0.9 * 0.25 + 0.1 = 0.325, p = 0.925 - 0.0325 = 0.8925
        XCTAssertEqual(got[2][0], 0.8925, accuracy: 1e-6)
        check(lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: false)
        check(lr: 0.05, momentum: 0.9, weightDecay: 0.0005, nesterov: false)
    }

    func testNesterovByHand() {
        let got = run(lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: true)
        // step 1: v = 0.5, step = 0.5 + 0.45 = 0.95, p = 1 - 0.095 = 0.905
        XCTAssertEqual(got[0][0], 0.905, accuracy: 1e-7)
        // step 2: v = 0.45 - 0.2 = 0.25, step = -0.2 + 0.225 = 0.025, p = 0.905 - 0.0025 = 0.9025
        XCTAssertEqual(got[1][0], 0.9025, accuracy: 1e-6)
        check(lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: true)
        check(lr: 0.05, momentum: 0.8, weightDecay: 0.01, nesterov: true)
    }

    func testVelocityIsTheMomentumBuffer() {
        let sgd = SGD(parameterCount: 3, momentum: 0.9, weightDecay: 0.01, nesterov: false)
        let p = buffer(p0)
        grads[0].withUnsafeBufferPointer { sgd.step(parameters: p.pointer, gradients: $0.baseAddress!, count: 3, lr: 0.1) }
        // after one step the buffer is g + wd * p0 (PyTorch's momentum_buffer)
        for i in 0..<3 { XCTAssertEqual(sgd.velocity[i], grads[0][i] + 0.01 * p0[i], accuracy: 1e-7) }
    }
}
