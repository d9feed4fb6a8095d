// The two-level (hierarchical) allreduce: q ranks per node, m = ceil(p/q) nodes. Inside each node a
// ring reduce-scatter leaves each rank 1/q of the sum (intra-node link); each rank then joins the
// allreduce of its n/q shard across the m nodes, the q shards of a node crossing its one network
// link at the same time (so the inter-node bytes are q·(n/q)·beta-terms, the reductions n/q each);
// a ring allgather inside the node ends it. With p <= q it is one ring inside the node. The
// inter-node phase runs the algorithm given for (n/q bytes, m ranks). A p that is not a multiple
// of q is priced as if every node were full.

import Core
import Foundation

/// Ranks per node and the link between ranks of one node.
public struct NodeShape: Sendable, Equatable {
    public var ranksPerNode: Int
    public var intraNode: RingModel

    public init(ranksPerNode: Int, intraNode: RingModel) {
        self.ranksPerNode = ranksPerNode
        self.intraNode = intraNode
    }

    /// Stated, not measured: 8 ranks per node, 1 us and 80 Gb/s (10 GB/s) between them.
    public static let stated = NodeShape(ranksPerNode: 8, intraNode: RingModel(latencyMicroseconds: 1, gigabitsPerSecond: 80))
}

/// The two phases of one two-level allreduce of `bytes` over `ranks` ranks: the intra-node terms
/// (on the node's link) and the inter-node terms (on the network link, bytesSent already the
/// node's q shards together); `interNode` picks the algorithm among the nodes for (shard bytes, node count).
public func twoLevelTerms(bytes n: Double, ranks: Int, node: NodeShape,
                          interNode: (Double, Int) -> AllreduceAlgorithm) -> (intra: CostTerms, inter: CostTerms) {
    guard ranks > 1 else { return (.zero, .zero) }
    let q = max(1, min(node.ranksPerNode, ranks))
    let m = (ranks + q - 1) / q
    // ring reduce-scatter + ring allgather inside the node: a ring allreduce's terms
    let intra = AllreduceAlgorithm.ring.terms(bytes: n, ranks: q) ?? .zero
    guard m > 1 else { return (intra, .zero) }
    let shard = n / Double(q)
    var algorithm = interNode(shard, m)
    if algorithm == .twoLevel { algorithm = .rabenseifner }
    var inter = algorithm.terms(bytes: shard, ranks: m) ?? .zero
    inter.bytesSent *= Double(q)
    return (intra, inter)
}

/// Seconds of one two-level allreduce: the intra-node phases on `node.intraNode`, the inter-node
/// one on `interLink`.
public func twoLevelSeconds(bytes n: Double, ranks: Int, interLink: RingModel, node: NodeShape, gamma: Double,
                            interNode: (Double, Int) -> AllreduceAlgorithm) -> Double {
    let (intra, inter) = twoLevelTerms(bytes: n, ranks: ranks, node: node, interNode: interNode)
    return intra.seconds(link: node.intraNode, gamma: gamma) + inter.seconds(link: interLink, gamma: gamma)
}
