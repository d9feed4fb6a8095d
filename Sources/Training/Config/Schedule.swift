// Learning-rate schedules, evaluated per global step so that a resumed run continues the same
// curve. t = global step / steps per epoch (fractional epochs).
//   constant : lr
//   step     : lr * gamma^floor(epoch / every)
//   cosine   : lr * (1 + cos(pi * (t - warmup) / (epochs - warmup))) / 2
//   warmup   : the first warmup_epochs ramp linearly from lr/steps up to lr (Goyal et al. 2017)
//   onecycle : PyTorch's OneCycleLR (cosine, two phases) over T = epochs x steps per epoch:
//              warm-up from lr / div_factor up to lr over the first pct_start x T steps, then
//              anneal to lr / div_factor / final_div_factor at step T - 1. With cycle_momentum,
//              the momentum (SGD's momentum, Adam's beta1) runs the other way: max_momentum down
//              to base_momentum in the warm-up, back up in the anneal. It has its own warm-up, so
//              warmup_epochs does not apply (the config refuses both).

import Core
import Foundation

public enum Schedule: Equatable, Sendable {
    case constant
    case step(every: Int, gamma: Double)
    case cosine
    case onecycle(OneCycle)

    public var description: String {
        switch self {
        case .constant: return "constant"
        case .step(let every, let gamma): return "step(every \(every), gamma \(gamma))"
        case .cosine: return "cosine"
        case .onecycle(let c):
            return "onecycle(pct_start \(c.pctStart), div_factor \(c.divFactor), final_div_factor \(c.finalDivFactor)"
                + (c.cycleMomentum ? ", momentum \(c.maxMomentum) -> \(c.baseMomentum) -> \(c.maxMomentum))" : ")")
        }
    }
}

/// OneCycleLR's settings (train.onecycle), PyTorch's defaults except cycle_momentum (off unless asked).
public struct OneCycle: Equatable, Sendable {
    public var pctStart = 0.3            // the warm-up's share of the run, in [0, 1)
    public var divFactor = 25.0          // initial lr = lr / div_factor
    public var finalDivFactor = 1e4      // final lr = initial lr / final_div_factor
    public var cycleMomentum = false
    public var baseMomentum = 0.85, maxMomentum = 0.95
    public init() {}

    /// The rate and momentum at `step` of a `total`-step cycle peaking at `maxLR`. The warm-up
    /// ends at step pct_start x total - 1 and the anneal at total - 1, as OneCycleLR computes
    /// them (a warm-up shorter than one step starts in the anneal, one of exactly one step sits
    /// at its peak); steps past the end stay at the final rate.
    func at(step: Int, total: Int, maxLR: Double) -> (lr: Double, momentum: Double) {
        let initial = maxLR / divFactor, final = initial / finalDivFactor
        let warmupEnd = pctStart * Double(total) - 1, end = Double(total) - 1
        let s = Double(step)
        func anneal(_ from: Double, _ to: Double, _ pct: Double) -> Double { to + (from - to) / 2 * (cos(Double.pi * pct) + 1) }
        if s <= warmupEnd {
            let pct = warmupEnd > 0 ? s / warmupEnd : 1
            return (anneal(initial, maxLR, pct), anneal(maxMomentum, baseMomentum, pct))
        }
        let pct = end > warmupEnd ? min((s - warmupEnd) / (end - warmupEnd), 1) : 1
        return (anneal(maxLR, final, pct), anneal(baseMomentum, maxMomentum, pct))
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
        if case .onecycle(let c) = schedule {
            return c.at(step: step, total: epochs * max(stepsPerEpoch, 1), maxLR: base).lr
        }
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
        case .onecycle:
            return base          // answered above
        }
    }

    /// The momentum (SGD's momentum, Adam's beta1) for global step `step` when the schedule
    /// cycles it (onecycle with cycle_momentum); nil: the optimiser keeps its own.
    public func momentum(step: Int) -> Double? {
        guard case .onecycle(let c) = schedule, c.cycleMomentum else { return nil }
        return c.at(step: step, total: epochs * max(stepsPerEpoch, 1), maxLR: base).momentum
    }
}
