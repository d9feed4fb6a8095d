// Stochastic gradient descent with momentum, Nesterov and L2 weight decay, exactly as PyTorch's
// torch.optim.SGD (dampening 0):
//   g = grad + wd * p;   v = mu * v + g;   step = nesterov ? g + mu * v : v;   p -= lr * step
// The momentum buffer `velocity` has the parameter buffer's layout (checkpointed as
// optimizer.<name>.momentum). With mu == 0 the buffer is left untouched (PyTorch keeps none).

import Core

public final class SGD: Optimizer {
    public static let stateSuffixes = ["momentum"]
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool
    public let velocity: UnsafeMutableBufferPointer<Float>
    public let state: [OptimizerState]
    public var stepCount = 0
    public var kind: OptimizerKind { .sgd }

    public init(parameterCount: Int, momentum: Float, weightDecay: Float, nesterov: Bool) {
        self.momentum = momentum; self.weightDecay = weightDecay; self.nesterov = nesterov
        velocity = allocateState(count: parameterCount, what: "momentum")
        state = [OptimizerState(suffix: Self.stateSuffixes[0], buffer: velocity)]
    }

    deinit { releaseChecked(velocity.baseAddress!) }

    public func setMomentum(_ value: Double) { momentum = Float(value) }

    public func step(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, count: Int, lr: Float,
                     gradScale: Float = 1) {
        stepCount += 1
        let v = velocity.baseAddress!, mu = momentum, wd = weightDecay, s = gradScale
        if mu == 0 {
            for i in 0..<count { p[i] -= lr * (g[i] * s + wd * p[i]) }
            return
        }
        if nesterov {
            for i in 0..<count {
                let gi = g[i] * s + wd * p[i]
                let vi = mu * v[i] + gi
                v[i] = vi
                p[i] -= lr * (gi + mu * vi)
            }
        } else {
            for i in 0..<count {
                let vi = mu * v[i] + (g[i] * s + wd * p[i])
                v[i] = vi
                p[i] -= lr * vi
            }
        }
    }
}
