// Adam and AdamW with PyTorch's update rule (torch.optim.Adam / AdamW, amsgrad off), equal to it
// within float rounding (lr arrives as Float, and the operation order differs a little from
// torch's addcdiv; the cross-check test allows 1e-5). Per parameter i at step t (t counted from 1,
// `stepCount` after the increment):
//   g = grad * gradScale
//   Adam : g += wd * p                 AdamW: p *= 1 - lr * wd        (decoupled weight decay)
//   m = lerp(m, g, 1 - b1)             v = b2 * v + (1 - b2) * g * g
//   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// m and v (exp_avg, exp_avg_sq) have the parameter buffer's layout; the bias corrections are
// computed in Double as Python does, then used as Float.

import Core
import Foundation

public final class Adam: Optimizer {
    public static let stateSuffixes = ["exp_avg", "exp_avg_sq"]
    public var beta1: Double, beta2: Double
    public var eps: Float
    public var weightDecay: Float
    /// AdamW: the decay scales the parameters instead of joining the gradient.
    public let decoupled: Bool
    public let expAvg: UnsafeMutableBufferPointer<Float>       // m, parameter layout
    public let expAvgSq: UnsafeMutableBufferPointer<Float>     // v, parameter layout
    public let state: [OptimizerState]
    public var stepCount = 0
    public var kind: OptimizerKind { decoupled ? .adamw : .adam }

    public init(parameterCount: Int, beta1: Double, beta2: Double, eps: Float, weightDecay: Float, decoupled: Bool) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay; self.decoupled = decoupled
        expAvg = allocateState(count: parameterCount, what: "Adam first moment")
        expAvgSq = allocateState(count: parameterCount, what: "Adam second moment")
        state = [OptimizerState(suffix: Self.stateSuffixes[0], buffer: expAvg),
                 OptimizerState(suffix: Self.stateSuffixes[1], buffer: expAvgSq)]
    }

    deinit { releaseChecked(expAvg.baseAddress!); releaseChecked(expAvgSq.baseAddress!) }

    public func setMomentum(_ value: Double) { beta1 = value }

    public func step(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, count: Int, lr: Float,
                     gradScale: Float = 1) {
        stepCount += 1
        let t = Double(stepCount)
        let stepSize = Float(Double(lr) / (1 - pow(beta1, t)))
        let correction2 = Float((1 - pow(beta2, t)).squareRoot())
        let w1 = Float(1 - beta1), w2 = Float(1 - beta2), b2 = Float(beta2), e = eps, s = gradScale
        let m = expAvg.baseAddress!, v = expAvgSq.baseAddress!
        let wd = decoupled ? 0 : weightDecay             // L2 into the gradient (Adam)
        let keep = decoupled ? 1 - lr * weightDecay : 1   // parameter scale (AdamW)
        let small = w1 < 0.5                              // torch's lerp: the form exact at its end
        for i in 0..<count {
            let pi = p[i] * keep
            let gi = g[i] * s + wd * pi
            let mi = small ? m[i] + w1 * (gi - m[i]) : gi - (gi - m[i]) * (1 - w1)
            let vi = b2 * v[i] + w2 * gi * gi
            m[i] = mi
            v[i] = vi
            p[i] = pi - stepSize * (mi / (vi.squareRoot() / correction2 + e))
        }
    }
}
