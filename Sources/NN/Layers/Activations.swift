// Element-wise activations. Shapes pass through unchanged; backward reads the cached output y
// (ReLU, sigmoid, tanh) or input x (leaky ReLU) — both stay valid until backward runs.
// Strided output (StridedOutputLayer): y and dy at outputStride per sample; x and dx contiguous,
// or at outputStride too when they alias y and dy (in place).

import Core
import Foundation

public final class Activation: StridedOutputLayer {
    public enum Function: Equatable, Sendable {
        case relu, sigmoid, tanh
        case leakyReLU(slope: Float)
    }
    public let name: String
    public let function: Function
    public let inputShape: Shape
    public var outputShape: Shape { inputShape }
    /// Floats from one sample's y (and dy) to the next (StridedOutputLayer); x and dx stay
    /// contiguous (inputShape.count apart) except in place, where they are views of the strided
    /// output: when x == y, x is read at outputStride too, and when dx == dy (Network runs a fused
    /// convolution's ReLU backward in place on its output, which may be strided), dx is written at
    /// outputStride. At the default (outputShape.count) the whole batch is one run.
    public var outputStride: Int

    public init(name: String, function: Function, input: Shape) {
        self.name = name; self.function = function; inputShape = input
        outputStride = input.count
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        let count = inputShape.count, stride = outputStride
        if stride == count { return forwardRun(x, y, count: n * count) }
        let xStride = x == UnsafePointer(y) ? stride : count
        for b in 0..<n { forwardRun(x + b * xStride, y + b * stride, count: count) }
    }

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        guard let dx else { return }
        let count = inputShape.count, stride = outputStride
        if stride == count { return backwardRun(x, y, dy, dx, count: n * count) }
        let xStride = x == y ? stride : count, dxStride = UnsafePointer(dx) == dy ? stride : count
        for b in 0..<n {
            backwardRun(x + b * xStride, y + b * stride, dy + b * stride, dx + b * dxStride, count: count)
        }
    }

    /// y = f(x) over `count` contiguous floats.
    private func forwardRun(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        switch function {
        case .relu:
            relu(x, into: y, count: count)
        case .leakyReLU(let slope):
            for i in 0..<count { let v = x[i]; y[i] = v > 0 ? v : v * slope }
        case .sigmoid:
            for i in 0..<count {
                let v = x[i]
                // stable in both tails
                if v >= 0 { y[i] = 1 / (1 + expf(-v)) } else { let e = expf(v); y[i] = e / (1 + e) }
            }
        case .tanh:
            for i in 0..<count { y[i] = tanhf(x[i]) }
        }
    }

    /// dx = f'(x) dy over `count` contiguous floats (dx == dy allowed).
    private func backwardRun(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                             _ dx: UnsafeMutablePointer<Float>, count: Int) {
        switch function {
        case .relu:
            // branch-free: keep dy's bits where y > 0 (a mask, so the loop vectorises)
            for i in 0..<count {
                let keep: UInt32 = y[i] > 0 ? ~0 : 0
                dx[i] = Float(bitPattern: dy[i].bitPattern & keep)
            }
        case .leakyReLU(let slope):
            for i in 0..<count { dx[i] = x[i] > 0 ? dy[i] : dy[i] * slope }
        case .sigmoid:
            for i in 0..<count { let s = y[i]; dx[i] = dy[i] * s * (1 - s) }
        case .tanh:
            for i in 0..<count { let t = y[i]; dx[i] = dy[i] * (1 - t * t) }
        }
    }
}

/// y = max(x, 0) (x == y allowed): the ReLU layer's forward and a convolution's fused ReLU.
@inline(__always)
func relu(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { y[i] = max(x[i], 0) }
}

/// (N, C, H, W) -> (N, C*H*W) in C, H, W order, as torch.flatten(x, 1).
public final class Flatten: Layer {
    public let name: String
    public let inputShape: Shape
    public let outputShape: Shape
    public init(name: String, input: Shape) {
        self.name = name; inputShape = input; outputShape = Shape(flat: input.count)
    }
    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        y.update(from: x, count: n * inputShape.count)
    }
    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        dx?.update(from: dy, count: n * inputShape.count)
    }
}
