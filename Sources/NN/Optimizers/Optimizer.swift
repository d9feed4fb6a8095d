// The optimisers (train.optimizer): SGD (momentum, Nesterov, L2 weight decay), Adam and AdamW,
// each with PyTorch's update rule. Every optimiser updates the ONE flat parameter buffer from the
// ONE flat gradient buffer in place, and keeps its state in buffers with the parameter buffer's
// layout (so a parameter's state is the same [offset, offset + count) view as the parameter),
// checkpointed as optimizer.<param name>.<suffix>. Its step count (Adam's bias correction) is a
// plain integer saved in checkpoint metadata.

import Core

/// The names `train.optimizer` accepts.
public enum OptimizerKind: String, CaseIterable, Sendable {
    case sgd, adam, adamw

    /// "sgd | adam | adamw", for messages.
    public static var allowed: String { allCases.map(\.rawValue).joined(separator: " | ") }

    /// The checkpoint suffixes of its state buffers, in order.
    public var stateSuffixes: [String] {
        switch self {
        case .sgd: return SGD.stateSuffixes
        case .adam, .adamw: return Adam.stateSuffixes
        }
    }
}

/// One state buffer: parameter layout, `parameterCount` floats (at least one allocated).
public struct OptimizerState {
    public let suffix: String                          // "momentum", "exp_avg", "exp_avg_sq"
    public let buffer: UnsafeMutableBufferPointer<Float>
}

public protocol Optimizer: AnyObject {
    var kind: OptimizerKind { get }
    /// The state buffers, in the order of `kind.stateSuffixes` (checkpointed, broadcast on resume).
    var state: [OptimizerState] { get }
    /// Updates done so far (Adam's t; SGD counts too, unused by its rule). Saved in checkpoints.
    var stepCount: Int { get set }
    /// Sets the coefficient that one-cycle's momentum cycling moves before each step: SGD's
    /// momentum, Adam's beta1.
    func setMomentum(_ value: Double)
    /// One update of `count` parameters with gradient `gradScale` x g: the data-parallel trainer
    /// passes the summed gradient and 1/(world size x accumulate), so averaging costs no pass of
    /// its own (the product is rounded to Float first, exactly as a separate scaling pass would).
    /// Allocates nothing.
    func step(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, count: Int, lr: Float,
              gradScale: Float)
}

/// What the optimisers are built from (the run config's train section, as Float).
public struct OptimizerSettings: Sendable, Equatable {
    public var kind: OptimizerKind = .sgd
    public var momentum: Float = 0.9                   // SGD
    public var nesterov = false                        // SGD
    public var weightDecay: Float = 0                  // SGD/Adam: L2 added to the gradient; AdamW: decoupled
    public var beta1 = 0.9, beta2 = 0.999                  // Adam, AdamW (Double: PyTorch's bias correction)
    public var eps: Float = 1e-8                           // Adam, AdamW

    public init(kind: OptimizerKind = .sgd, momentum: Float = 0.9, nesterov: Bool = false, weightDecay: Float = 0,
                beta1: Double = 0.9, beta2: Double = 0.999, eps: Float = 1e-8) {
        self.kind = kind; self.momentum = momentum; self.nesterov = nesterov; self.weightDecay = weightDecay
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
    }
}

/// The optimiser `settings.kind` names, its state zeroed, for `parameterCount` parameters.
public func makeOptimizer(_ settings: OptimizerSettings, parameterCount: Int) -> Optimizer {
    switch settings.kind {
    case .sgd:
        return SGD(parameterCount: parameterCount, momentum: settings.momentum, weightDecay: settings.weightDecay,
                   nesterov: settings.nesterov)
    case .adam, .adamw:
        return Adam(parameterCount: parameterCount, beta1: settings.beta1, beta2: settings.beta2, eps: settings.eps,
                    weightDecay: settings.weightDecay, decoupled: settings.kind == .adamw)
    }
}

/// A zeroed state buffer of `count` floats (at least one allocated); freed with `releaseChecked`.
func allocateState(count: Int, what: String) -> UnsafeMutableBufferPointer<Float> {
    let buffer = UnsafeMutableBufferPointer(start: allocateChecked(Float.self, count: count, for: "the \(what) of \(count) parameters"),
                                            count: max(count, 1))
    buffer.initialize(repeating: 0)
    return buffer
}
