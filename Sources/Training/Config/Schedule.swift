// Learning-rate schedules, evaluated per global step so that a resumed run continues the same
// curve. t = global step / steps per epoch (fractional epochs).
//   constant : lr
//   step     : lr * gamma^floor(epoch / every)
//   cosine   : lr * (1 + cos(pi * (t - warmup) / (epochs - warmup))) / 2
//   warmup   : the first warmup_epochs ramp linearly from lr/steps up to lr (Goyal et al. 2017)

import Core
import Foundation

public enum Schedule: Equatable, Sendable {
    case constant
    case step(every: Int, gamma: Double)
    case cosine

    public var description: String {
        switch self {
        case .constant: return "constant"
        case .step(let every, let gamma): return "step(every \(every), gamma \(gamma))"
        case .cosine: return "cosine"
        }
    }
}

public struct LearningRate: Sendable {
    public var base: Double
    public var schedule: Schedule
    public var warmupEpochs: Double
    public var epochs: Int
    public var stepsPerEpoch: Int

    public init(base: Double, schedule: Schedule, warmupEpochs: Double, epochs: Int, stepsPerEpoch: Int) {
        self.base = base; self.schedule = schedule; self.warmupEpochs = warmupEpochs
        self.epochs = epochs; self.stepsPerEpoch = stepsPerEpoch
    }

    /// The rate for global step `step` (0-based).
    public func at(step: Int) -> Double {
        let perEpoch = Double(max(stepsPerEpoch, 1))
        let warmupSteps = warmupEpochs * perEpoch
        if Double(step) < warmupSteps {
            return base * Double(step + 1) / warmupSteps
        }
        let epoch = step / max(stepsPerEpoch, 1)
        switch schedule {
        case .constant:
            return base
        case .step(let every, let gamma):
            return base * pow(gamma, Double(epoch / every))
        case .cosine:
            let total = Double(epochs) * perEpoch - warmupSteps
            let t = total > 0 ? (Double(step) - warmupSteps) / total : 1
            return base * (1 + cos(Double.pi * min(max(t, 0), 1))) / 2
        }
    }
}
