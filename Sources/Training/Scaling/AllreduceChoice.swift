// `--algorithm`: the allreduce the model prices — Open MPI's own choice per (message, ranks)
// ("default", OpenMPITunedAllreduce) or one algorithm forced at every size (its Open MPI fall-backs
// still apply, as they do when MPI is forced) — and the pricing of an allreduce on a network.

import Core
import Foundation

public enum AllreduceChoice: Sendable, Equatable {
    case mpiDefault
    case forced(AllreduceAlgorithm)

    /// "default" or an algorithm's name; anything else is an InputError naming `key` and the valid names.
    public init(parsing text: String, key: String = "--algorithm") throws {
        if text == "default" { self = .mpiDefault; return }
        guard let a = AllreduceAlgorithm(rawValue: text) else {
            throw InputError("\(key): unknown allreduce algorithm '\(text)'; expected one of: default, \(AllreduceAlgorithm.names)")
        }
        self = .forced(a)
    }

    public var name: String {
        switch self {
        case .mpiDefault: return "default"
        case .forced(let a): return a.rawValue
        }
    }

    /// The algorithm that runs for `bytes` over `ranks` ranks.
    public func algorithm(bytes: Int, ranks: Int) -> AllreduceAlgorithm {
        switch self {
        case .mpiDefault: return OpenMPITunedAllreduce.chosen(bytes: bytes, ranks: ranks)
        case .forced(.twoLevel): return .twoLevel
        case .forced(let a): return OpenMPITunedAllreduce.effective(a, bytes: bytes, ranks: ranks)
        }
    }
}

/// Seconds of one allreduce of `bytes` over `ranks` ranks by `algorithm` on `network` (its
/// inter-node phase, for two-level, by Open MPI's choice among the nodes).
public func allreduceSeconds(_ algorithm: AllreduceAlgorithm, bytes: Int, ranks: Int, network: NetworkAssumption) -> Double {
    if let t = algorithm.terms(bytes: Double(bytes), ranks: ranks) {
        return t.seconds(link: network.model, gamma: network.gamma)
    }
    return twoLevelSeconds(bytes: Double(bytes), ranks: ranks, interLink: network.model, node: network.node, gamma: network.gamma,
                           interNode: mpiChoiceAmongNodes)
}

/// Bytes each rank sends on the critical path of `algorithm` (two-level: both phases).
public func allreduceBytesSent(_ algorithm: AllreduceAlgorithm, bytes: Int, ranks: Int, node: NodeShape) -> Double {
    if let t = algorithm.terms(bytes: Double(bytes), ranks: ranks) { return t.bytesSent }
    let (intra, inter) = twoLevelTerms(bytes: Double(bytes), ranks: ranks, node: node, interNode: mpiChoiceAmongNodes)
    return intra.bytesSent + inter.bytesSent
}

/// Open MPI's choice for the inter-node phase of two-level: (shard bytes, node count).
private func mpiChoiceAmongNodes(_ shard: Double, _ nodes: Int) -> AllreduceAlgorithm {
    OpenMPITunedAllreduce.chosen(bytes: Int(shard.rounded()), ranks: nodes)
}
