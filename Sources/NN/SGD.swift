// Stochastic gradient descent with momentum, Nesterov and L2 weight decay, exactly as PyTorch's
// torch.optim.SGD (dampening 0):
//   g = grad + wd * p;   v = mu * v + g;   step = nesterov ? g + mu * v : v;   p -= lr * step
// The momentum buffer `velocity` has the parameter buffer's layout (checkpointed as
// optimizer.<name>.momentum).

import Core

public final class SGD {
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool
    public let velocity: UnsafeMutableBufferPointer<Float>

    public init(parameterCount: Int, momentum: Float, weightDecay: Float, nesterov: Bool) {
        self.momentum = momentum; self.weightDecay = weightDecay; self.nesterov = nesterov
        velocity = UnsafeMutableBufferPointer(start: allocateChecked(Float.self, count: parameterCount,
                                                                     for: "the momentum of \(parameterCount) parameters"),
                                              count: max(parameterCount, 1))
        velocity.initialize(repeating: 0)
    }

    deinit { releaseChecked(velocity.baseAddress!) }

    /// One update of `count` parameters with gradient `gradScale` x g: the data-parallel trainer
    /// passes the summed gradient and 1/world size, so averaging costs no pass of its own
    /// (the product is rounded to Float first, exactly as a separate scaling pass would).
    public func step(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, count: Int, lr: Float,
                     gradScale: Float = 1) {
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
