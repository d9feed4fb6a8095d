// Element-wise activations. Shapes pass through unchanged; backward reads the cached output y
// (ReLU, sigmoid, tanh) or input x (leaky ReLU) — both stay valid until backward runs.

import Core
import Foundation

public final class Activation: Layer {
    public enum Function: Equatable, Sendable {
        case relu, sigmoid, tanh
        case leakyReLU(slope: Float)
    }
    public let name: String
    public let function: Function
    public let inputShape: Shape
    public var outputShape: Shape { inputShape }

    public init(name: String, function: Function, input: Shape) {
        self.name = name; self.function = function; inputShape = input
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        let count = n * inputShape.count
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

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        guard let dx else { return }
        let count = n * inputShape.count
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
