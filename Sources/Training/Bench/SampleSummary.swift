// Order statistics of timing samples — the one definition of median and percentile that `dtrain
// bench train` and `dtrain bench comm` report, so their figures are comparable.

import Core

/// Mean, median, p90, min and max of a set of samples (seconds, or anything else).
public struct SampleSummary: Sendable, Equatable {
    public var count: Int
    public var mean: Double, median: Double, p90: Double, min: Double, max: Double

    /// Summarises `values` (any order; NaN is not expected). Empty: every figure is 0.
    public init<C: Collection>(_ values: C) where C.Element == Double {
        let sorted = values.sorted()
        count = sorted.count
        guard let first = sorted.first, let last = sorted.last else {
            mean = 0; median = 0; p90 = 0; min = 0; max = 0
            return
        }
        mean = sorted.reduce(0, +) / Double(count)
        median = quantile(sorted: sorted, 0.5)
        p90 = quantile(sorted: sorted, 0.9)
        min = first; max = last
    }
}

/// The q-quantile (0 ... 1) of ascending `sorted`, interpolated linearly between the two nearest
/// ranks (numpy's default, "type 7"): the median of an even count is the mean of the middle two.
public func quantile(sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let position = Swift.min(Swift.max(q, 0), 1) * Double(sorted.count - 1)
    let below = Int(position.rounded(.down)), above = Swift.min(below + 1, sorted.count - 1)
    return sorted[below] + (position - Double(below)) * (sorted[above] - sorted[below])
}
