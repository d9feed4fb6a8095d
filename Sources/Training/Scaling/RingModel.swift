// The ring-allreduce cost model T(n) = 2(p-1)·alpha + 2(p-1)/p · n · beta (Patarasuk & Yuan 2009;
// Thakur et al. 2005): 2(p-1) steps of latency alpha, each rank sending 2(p-1)/p · n bytes at beta
// seconds per byte. And the least-squares fit of alpha and beta from measured allreduce times at
// one world size, for the algorithm that ran them (AllreduceAlgorithm's terms; Open MPI's choice per
// size for "default"): the reduction's gamma is not separated, beta holds it. Leaves out contention.

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

/// alpha and beta fitted to samples measured at world size `ranks` with `algorithm`, with how well they fit.
public struct RingFit: Sendable {
    public var model: RingModel
    public var ranks: Int
    public var algorithm: AllreduceChoice
    public var samples: [AllreduceSample]
    /// Root mean square of (model - measured) / measured over the samples.
    public var rmsRelativeResidual: Double

    /// Fits T(n) = a(n)·alpha + b(n)·beta, with a and b the latency steps and bytes sent of the
    /// algorithm that runs at n (ring: 2(p-1) and 2(p-1)/p·n), by least squares on the RELATIVE
    /// error (weights 1/T²): timings span six decades, and an unweighted fit would let the largest
    /// messages decide everything, leaving alpha as noise. A negative alpha is clamped to 0 (refit
    /// with beta alone). Needs p >= 2 and two distinct sizes.
    public init(samples: [AllreduceSample], ranks: Int, algorithm: AllreduceChoice = .forced(.ring)) throws {
        guard ranks >= 2 else { throw InputError("a ring fit needs at least 2 ranks (world size \(ranks))") }
        let usable = samples.filter { $0.seconds > 0 && $0.seconds.isFinite && $0.bytes > 0 }
        guard Set(usable.map(\.bytes)).count >= 2 else {
            throw InputError("a ring fit needs timings of at least 2 different message sizes (got \(usable.count))")
        }
        let terms = usable.map { Self.terms(algorithm, bytes: $0.bytes, ranks: ranks) }
        var aa = 0.0, ab = 0.0, bb = 0.0, at = 0.0, bt = 0.0
        for (s, t) in zip(usable, terms) {
            let w = 1 / (s.seconds * s.seconds), a = t.latencySteps, b = t.bytesSent
            aa += w * a * a; ab += w * a * b; bb += w * b * b; at += w * a * s.seconds; bt += w * b * s.seconds
        }
        let det = aa * bb - ab * ab
        var alpha = (at * bb - ab * bt) / det, beta = (aa * bt - ab * at) / det
        if !(alpha >= 0) { alpha = 0; beta = bt / bb }
        guard beta > 0, beta.isFinite else {
            throw InputError("the allreduce times do not grow with the message size; no bandwidth to fit")
        }
        model = RingModel(alpha: alpha, beta: beta)
        self.ranks = ranks
        self.algorithm = algorithm
        self.samples = usable
        let squares = zip(usable, terms).map { s, t -> Double in
            let r = (t.latencySteps * alpha + t.bytesSent * beta - s.seconds) / s.seconds
            return r * r
        }
        rmsRelativeResidual = (squares.reduce(0, +) / Double(usable.count)).squareRoot()
    }

    public init(model: RingModel, ranks: Int, samples: [AllreduceSample], rmsRelativeResidual: Double,
                algorithm: AllreduceChoice = .forced(.ring)) {
        self.model = model
        self.ranks = ranks
        self.algorithm = algorithm
        self.samples = samples
        self.rmsRelativeResidual = rmsRelativeResidual
    }

    /// The latency steps and bytes sent (gamma left in beta) of the algorithm `choice` runs at `bytes`.
    static func terms(_ choice: AllreduceChoice, bytes: Int, ranks: Int) -> CostTerms {
        let algorithm = choice.algorithm(bytes: bytes, ranks: ranks)
        return (algorithm.terms(bytes: Double(bytes), ranks: ranks) ?? AllreduceAlgorithm.ring.terms(bytes: Double(bytes), ranks: ranks))
            ?? .zero
    }

    /// The fitted model's seconds for one allreduce of `bytes` at the fit's world size and algorithm.
    public func modelSeconds(bytes: Int) -> Double {
        let t = Self.terms(algorithm, bytes: bytes, ranks: ranks)
        return t.latencySteps * model.alpha + t.bytesSent * model.beta
    }

    /// One line: algorithm, alpha, beta, bandwidth, residual.
    public var summary: String {
        String(format: "%@ fit at world size %d: alpha %.2f us per step, beta %.4g s/byte (%.2f GB/s), rms relative residual %.1f%%",
               algorithm.name, ranks, model.alpha * 1e6, model.beta, model.gigabytesPerSecond, 100 * rmsRelativeResidual)
    }
}

extension RingFit {
    /// The fit in two regimes, for a link whose small messages are not on its bandwidth line (an
    /// HTB-shaped link passes up to one 64 KiB GSO segment at once, faster than its rate): alpha from
    /// this fit (dominated by the small messages, as the relative weights make it), beta refitted with
    /// alpha held, by relative least squares over the samples of at least `fromBytes` only. Itself
    /// when fewer than two samples are that large.
    public func bandwidthRegime(fromBytes: Int = 256 * 1024) -> RingFit {
        let large = samples.filter { $0.bytes >= fromBytes }
        guard large.count >= 2 else { return self }
        var bb = 0.0, bt = 0.0
        for s in large {
            let t = Self.terms(algorithm, bytes: s.bytes, ranks: ranks)
            let w = 1 / (s.seconds * s.seconds), rest = s.seconds - t.latencySteps * model.alpha
            bb += w * t.bytesSent * t.bytesSent; bt += w * t.bytesSent * rest
        }
        let beta = bt / bb
        guard beta > 0, beta.isFinite else { return self }
        let m = RingModel(alpha: model.alpha, beta: beta)
        let squares = samples.map { s -> Double in
            let t = Self.terms(algorithm, bytes: s.bytes, ranks: ranks)
            let r = (t.latencySteps * m.alpha + t.bytesSent * m.beta - s.seconds) / s.seconds
            return r * r
        }
        return RingFit(model: m, ranks: ranks, samples: samples,
                       rmsRelativeResidual: (squares.reduce(0, +) / Double(max(1, samples.count))).squareRoot(), algorithm: algorithm)
    }
}

