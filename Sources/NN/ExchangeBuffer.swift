// The buffer the ranks sum every step: ONE allocation of
//   [ gradients (P floats, the network's gradient storage) | loss sum, correct, samples ]
// so the step's statistics ride along in the same allreduce as the gradients. A Network computes
// its gradients straight into the first P floats (no copy before the exchange) and RETAINS the
// buffer, as does every exchange strategy holding it: the memory lives as long as any of them,
// so no view handed out here can outlive its allocation while its holder is alive.

import Core

/// The step's loss statistics at the tail of the buffer (sums over samples: this rank's before
/// the exchange, every rank's after it).
public struct StepStatistics: Equatable, Sendable {
    public var lossSum: Float
    public var correct: Float
    public var samples: Float
    public init(lossSum: Float, correct: Float, samples: Float) {
        self.lossSum = lossSum; self.correct = correct; self.samples = samples
    }
    /// The mean loss per sample.
    public var meanLoss: Double { Double(lossSum) / Double(samples) }
}

public final class ExchangeBuffer {
    /// Floats after the gradients: loss sum, correct, samples.
    public static let statisticsCount = 3
    public let parameterCount: Int
    private let storage: UnsafeMutableBufferPointer<Float>     // (P + 3)

    public init(parameterCount: Int) {
        self.parameterCount = parameterCount
        let count = parameterCount + Self.statisticsCount
        storage = UnsafeMutableBufferPointer(start: allocateChecked(Float.self, count: count, for: "the gradients of \(parameterCount) parameters"),
                                             count: count)
        storage.initialize(repeating: 0)
    }

    deinit { releaseChecked(storage.baseAddress!) }

    /// Everything one allreduce sums: (P + 3).
    public var whole: UnsafeMutableBufferPointer<Float> { storage }
    /// The gradients, the parameter buffer's layout: (P).
    public var gradients: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: storage[0 ..< parameterCount])
    }
    /// The three statistics floats as one span (what the coordinator broadcasts): (3).
    public var statisticsSpan: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: storage[parameterCount...])
    }
    /// Floats `range` of the whole buffer (a bucket).
    public func span(_ range: Range<Int>) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: storage[range])
    }

    public var statistics: StepStatistics {
        get {
            let p = parameterCount
            return StepStatistics(lossSum: storage[p], correct: storage[p + 1], samples: storage[p + 2])
        }
        set {
            let p = parameterCount
            storage[p] = newValue.lossSum; storage[p + 1] = newValue.correct; storage[p + 2] = newValue.samples
        }
    }
}
