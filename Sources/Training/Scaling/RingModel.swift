// The ring-allreduce cost model T(n) = 2(p-1)·alpha + 2(p-1)/p · n · beta (Patarasuk & Yuan 2009;
// Thakur et al. 2005): 2(p-1) steps of latency alpha, each rank sending 2(p-1)/p · n bytes at beta
// seconds per byte. And the least-squares fit of alpha and beta from measured allreduce times at
// one world size. Leaves out contention, the reduction's own arithmetic and tree/hierarchical algorithms.

import Core
import Foundation
import NN

/// alpha (seconds per step) and beta (seconds per byte) of a ring allreduce.
public struct RingModel: Sendable, Equatable {
    public var alpha: Double
    public var beta: Double

    public init(alpha: Double, beta: Double) {
        self.alpha = alpha
        self.beta = beta
    }

    /// A network stated as a per-message latency and a link rate (10 Gb/s Ethernet: 10).
    public init(latencyMicroseconds: Double, gigabitsPerSecond: Double) {
        self.init(alpha: latencyMicroseconds * 1e-6, beta: 8 / (gigabitsPerSecond * 1e9))
    }

    /// The implied bandwidth in GB/s (10^9 bytes per second).
    public var gigabytesPerSecond: Double { 1 / beta / 1e9 }

    /// Bytes each rank sends (and receives) in a ring allreduce of `bytes`: 2(p-1)/p · n.
    public static func bytesPerRank(_ bytes: Double, ranks: Int) -> Double {
        ranks <= 1 ? 0 : 2 * Double(ranks - 1) / Double(ranks) * bytes
    }

    /// Predicted seconds of one allreduce of `bytes` over `ranks` ranks (0 for one rank).
    public func seconds(bytes: Double, ranks: Int) -> Double {
        ranks <= 1 ? 0 : 2 * Double(ranks - 1) * alpha + Self.bytesPerRank(bytes, ranks: ranks) * beta
    }
}

/// One measured message size: the median over repeats of the slowest rank's time.
public struct AllreduceSample: Sendable, Equatable {
    public var bytes: Int
    public var seconds: Double

    public init(bytes: Int, seconds: Double) {
        self.bytes = bytes
        self.seconds = seconds
    }
}

/// alpha and beta fitted to samples measured at world size `ranks`, with how well they fit.
public struct RingFit: Sendable {
    public var model: RingModel
    public var ranks: Int
    public var samples: [AllreduceSample]
    /// Root mean square of (model - measured) / measured over the samples.
    public var rmsRelativeResidual: Double

    /// Fits T(n) = A + B·n with A = 2(p-1)·alpha, B = 2(p-1)/p·beta by least squares on the
    /// RELATIVE error (weights 1/T²): timings span six decades, and an unweighted fit would let the
    /// largest messages decide everything, leaving alpha as noise. A negative intercept is clamped
    /// to alpha = 0 (refit through the origin). Needs p >= 2 and two distinct sizes.
    public init(samples: [AllreduceSample], ranks: Int) throws {
        guard ranks >= 2 else { throw InputError("a ring fit needs at least 2 ranks (world size \(ranks))") }
        let usable = samples.filter { $0.seconds > 0 && $0.seconds.isFinite && $0.bytes > 0 }
        guard Set(usable.map(\.bytes)).count >= 2 else {
            throw InputError("a ring fit needs timings of at least 2 different message sizes (got \(usable.count))")
        }
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, t0 = 0.0, t1 = 0.0
        for s in usable {
            let w = 1 / (s.seconds * s.seconds), n = Double(s.bytes)
            s0 += w; s1 += w * n; s2 += w * n * n; t0 += w * s.seconds; t1 += w * n * s.seconds
        }
        let det = s0 * s2 - s1 * s1
        var a = (t0 * s2 - s1 * t1) / det, b = (s0 * t1 - s1 * t0) / det
        if !(a >= 0) { a = 0; b = t1 / s2 }
        guard b > 0, b.isFinite else {
            throw InputError("the allreduce times do not grow with the message size; no bandwidth to fit")
        }
        let p = Double(ranks)
        model = RingModel(alpha: a / (2 * (p - 1)), beta: b / (2 * (p - 1) / p))
        self.ranks = ranks
        self.samples = usable
        let squares = usable.map { s -> Double in
            let r = (a + b * Double(s.bytes) - s.seconds) / s.seconds
            return r * r
        }
        rmsRelativeResidual = (squares.reduce(0, +) / Double(usable.count)).squareRoot()
    }

    public init(model: RingModel, ranks: Int, samples: [AllreduceSample], rmsRelativeResidual: Double) {
        self.model = model
        self.ranks = ranks
        self.samples = samples
        self.rmsRelativeResidual = rmsRelativeResidual
    }

    /// One line: alpha, beta, bandwidth, residual.
    public var summary: String {
        String(format: "ring fit at world size %d: alpha %.2f us per step, beta %.4g s/byte (%.2f GB/s), rms relative residual %.1f%%",
               ranks, model.alpha * 1e6, model.beta, model.gigabytesPerSecond, 100 * rmsRelativeResidual)
    }
}
