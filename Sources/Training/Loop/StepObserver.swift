// What the training loop tells the rest of the program about each step. The step itself only
// computes; the progress bar, the trace, steps.csv, the benchmark's exchange recorder and fault
// injection observe it through these hooks, called in the order they were added, on the ranks
// that have them (steps.csv and the progress bar: rank 0 only). A hook called every step must not
// allocate in the usual case (rank 0's steps.csv flush and the progress bar's redraw are the
// exceptions, a few times a second at most); fault injection always runs last.

import Core
import NN

/// When each phase of one global step ended (monotonicSeconds, this rank's clock).
public struct StepClock: Sendable {
    public var start = 0.0             // t0: loading this rank's slice begins
    public var dataLoaded = 0.0        // t1
    public var forwardDone = 0.0       // the last forward pass (a single-pass step's backward starts here)
    public var backwardDone = 0.0      // t2
    public var exchangeEntered = 0.0   // t3: past the stall check and the strategy's barrier
    public var exchanged = 0.0         // t4
    public var updated = 0.0           // t5
    public init() {}
}

/// One completed global step.
public struct StepRecord: Sendable {
    public var step: Int               // global steps completed, this one included
    public var epoch: Int              // 1-based
    public var stepInEpoch: Int, stepsInEpoch: Int, epochs: Int
    public var loss: Double            // the step's global mean loss
    public var lr: Double
    public var clock: StepClock
    /// One forward then one backward (no accumulation, not exact): `clock.forwardDone` splits them.
    public var singlePass: Bool
    /// The update was the coordinator's broadcast (t4..t5 is communication).
    public var updateIsBroadcast: Bool
    /// The epoch so far: images per second of training time and mean loss.
    public var epochImagesPerSecond: Double, epochLoss: Double

    public init(step: Int, epoch: Int = 1, stepInEpoch: Int = 0, stepsInEpoch: Int = 0, epochs: Int = 1, loss: Double = 0,
                lr: Double = 0, clock: StepClock, singlePass: Bool = true, updateIsBroadcast: Bool = false,
                epochImagesPerSecond: Double = 0, epochLoss: Double = 0) {
        self.step = step; self.epoch = epoch; self.stepInEpoch = stepInEpoch; self.stepsInEpoch = stepsInEpoch
        self.epochs = epochs; self.loss = loss; self.lr = lr; self.clock = clock; self.singlePass = singlePass
        self.updateIsBroadcast = updateIsBroadcast; self.epochImagesPerSecond = epochImagesPerSecond; self.epochLoss = epochLoss
    }
}

public protocol StepObserver: AnyObject {
    /// Before the first step of a run (every rank; a collective here is entered by all ranks).
    func runStarting() throws
    func epochStarting(_ epoch: Int)
    /// After backward, before the stall check and the exchange; `buffer` holds this rank's sums.
    func beforeExchange(step: Int, buffer: ExchangeBuffer)
    func stepFinished(_ record: StepRecord)
    /// Before the epoch's evaluation and log line.
    func epochEnding(_ epoch: Int)
    /// After the last step, or when training stops early (divergence).
    func runFinished(steps: Int) throws
}

extension StepObserver {
    public func runStarting() throws {}
    public func epochStarting(_ epoch: Int) {}
    public func beforeExchange(step: Int, buffer: ExchangeBuffer) {}
    public func stepFinished(_ record: StepRecord) {}
    public func epochEnding(_ epoch: Int) {}
    public func runFinished(steps: Int) throws {}
}
