// The allreduce algorithms the scaling model prices, each as its count of latency steps, bytes sent
// and bytes reduced per rank on the critical path (Thakur, Rabenseifner & Gropp 2005, "Optimization
// of Collective Communication Operations in MPICH", IJHPCA 19(1)): T = a·alpha + b·n·beta + c·n·gamma.
// p ranks, n bytes; p' = 2^floor(lg p). A rank count that is not a power of two is handled as the
// paper does: the r = p - p' extra ranks first hand their vector to a partner (alpha + n·beta + n·gamma)
// and get the result back at the end (alpha + n·beta). Every cost is 0 for p <= 1. The two-level
// algorithm needs a node shape and two links, so it is priced in TwoLevelAllreduce.swift.

import Core
import Foundation

/// Latency steps, bytes sent and bytes reduced along the critical path of one allreduce.
public struct CostTerms: Sendable, Equatable {
    public var latencySteps: Double      // times alpha
    public var bytesSent: Double         // times beta
    public var bytesReduced: Double      // times gamma

    public init(latencySteps: Double, bytesSent: Double, bytesReduced: Double) {
        self.latencySteps = latencySteps
        self.bytesSent = bytesSent
        self.bytesReduced = bytesReduced
    }

    public static let zero = CostTerms(latencySteps: 0, bytesSent: 0, bytesReduced: 0)

    /// Seconds on a link of `link.alpha`, `link.beta`, reducing at `gamma` seconds per byte.
    public func seconds(link: RingModel, gamma: Double) -> Double {
        latencySteps * link.alpha + bytesSent * link.beta + bytesReduced * gamma
    }

    public static func + (a: CostTerms, b: CostTerms) -> CostTerms {
        CostTerms(latencySteps: a.latencySteps + b.latencySteps, bytesSent: a.bytesSent + b.bytesSent,
                  bytesReduced: a.bytesReduced + b.bytesReduced)
    }
}

/// An allreduce algorithm. The raw value is its name on the command line.
public enum AllreduceAlgorithm: String, CaseIterable, Sendable {
    /// Reduce-scatter then allgather around a ring: 2(p-1)·alpha + 2(p-1)/p·n·beta + (p-1)/p·n·gamma.
    case ring = "ring"
    /// Pairwise exchange of the whole vector at distances 1, 2, 4, ...: lg p·(alpha + n·beta + n·gamma).
    case recursiveDoubling = "recursive-doubling"
    /// Reduce-scatter by recursive halving, allgather by recursive doubling:
    /// 2 lg p·alpha + 2(p-1)/p·n·beta + (p-1)/p·n·gamma.
    case rabenseifner = "rabenseifner"
    /// Binomial-tree reduce to rank 0, then binomial broadcast (Open MPI's "nonoverlapping"):
    /// ceil(lg p)·(2 alpha + 2 n·beta + n·gamma).
    case reduceBroadcast = "reduce-bcast"
    /// Every rank sends to rank 0, which reduces and sends the result back (Open MPI's "basic_linear"):
    /// 2(p-1)·(alpha + n·beta) + (p-1)·n·gamma.
    case basicLinear = "basic-linear"
    /// Reduce-scatter inside each node, allreduce of each shard across nodes, allgather inside the
    /// node (TwoLevelAllreduce.swift).
    case twoLevel = "two-level"

    /// The names accepted on the command line, for error messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The terms of one allreduce of `bytes` over `ranks` ranks on one flat network; nil for
    /// `.twoLevel`, whose two links cannot be summed into one set of terms.
    public func terms(bytes n: Double, ranks: Int) -> CostTerms? {
        guard ranks > 1 else { return .zero }
        let p = Double(ranks)
        let lower = Double(largestPowerOfTwo(atMost: ranks))       // p'
        let lgLower = log2(lower)
        let extra: CostTerms = ranks == Int(lower) ? .zero
            : CostTerms(latencySteps: 2, bytesSent: 2 * n, bytesReduced: n)   // fold in, hand back
        switch self {
        case .ring:
            return CostTerms(latencySteps: 2 * (p - 1), bytesSent: 2 * (p - 1) / p * n, bytesReduced: (p - 1) / p * n)
        case .recursiveDoubling:
            return CostTerms(latencySteps: lgLower, bytesSent: lgLower * n, bytesReduced: lgLower * n) + extra
        case .rabenseifner:
            return CostTerms(latencySteps: 2 * lgLower, bytesSent: 2 * (lower - 1) / lower * n,
                             bytesReduced: (lower - 1) / lower * n) + extra
        case .reduceBroadcast:
            let depth = ceil(log2(p))
            return CostTerms(latencySteps: 2 * depth, bytesSent: 2 * depth * n, bytesReduced: depth * n)
        case .basicLinear:
            return CostTerms(latencySteps: 2 * (p - 1), bytesSent: 2 * (p - 1) * n, bytesReduced: (p - 1) * n)
        case .twoLevel:
            return nil
        }
    }
}

/// The largest power of two <= `n` (1 for n <= 1).
public func largestPowerOfTwo(atMost n: Int) -> Int {
    var p = 1
    while p <= n / 2 { p *= 2 }
    return p
}
