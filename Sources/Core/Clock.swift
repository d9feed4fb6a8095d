// Monotonic wall-clock seconds for timing phases of a step.

import Foundation

@inline(__always)
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Accumulated seconds per phase of the training loop. `wait` is rank 0's wait for the slowest
/// rank to reach the exchange; `comm` is then the allreduce itself.
public struct PhaseTimes: Sendable {
    public var data = 0.0, compute = 0.0, wait = 0.0, comm = 0.0, optimizer = 0.0
    public init() {}
}
