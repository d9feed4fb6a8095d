// The terms of one flat allreduce (no hierarchy in the algorithm) when its p ranks sit on nodes in
// blocks of q consecutive ranks (mpirun's default by-slot mapping: ranks 0..q-1 on the first node),
// split into what crosses the network between nodes and what stays inside a node. A step's time is
// that of its slowest transfer, so a step with any transfer between nodes is priced on the network
// link, and when f ranks of a node send across the node's one link in the same step their f
// transfers share it: that step's bytes count f times. For ring, recursive doubling and Rabenseifner
// with p and q powers of two (the distances of both are 1, 2, 4, ...: a step at distance d < q
// stays inside the node, every other step crosses it with all q ranks at once). A ring crosses
// between nodes at every step, one transfer per link and direction, so all of it is priced on the
// network. Other algorithms and shapes are priced entirely on the network, each transfer alone on
// its link (an underestimate where transfers share one). q = 1 is the flat model; q >= p: one node.

import Foundation

/// `algorithm`'s terms for `bytes` over `ranks` ranks in blocks of `ranksPerNode`: (inside a node,
/// across the network). Their sum over-counts nothing: each step is in exactly one of the two.
public func blockLayoutTerms(_ algorithm: AllreduceAlgorithm, bytes n: Double, ranks p: Int,
                             ranksPerNode q: Int) -> (intra: CostTerms, inter: CostTerms) {
    let flat = algorithm.terms(bytes: n, ranks: p) ?? .zero
    guard p > 1 else { return (.zero, .zero) }
    if q >= p { return (flat, .zero) }
    guard q > 1, isPowerOfTwo(p), isPowerOfTwo(q) else { return (.zero, flat) }
    let lgP = Int(log2(Double(p))), lgQ = Int(log2(Double(q)))
    var intra = CostTerms.zero, inter = CostTerms.zero
    switch algorithm {
    case .recursiveDoubling:
        // lg p steps of the whole vector at distances 1, 2, 4, ...
        intra = CostTerms(latencySteps: Double(lgQ), bytesSent: Double(lgQ) * n, bytesReduced: Double(lgQ) * n)
        let across = Double(lgP - lgQ)
        inter = CostTerms(latencySteps: across, bytesSent: across * Double(q) * n, bytesReduced: across * n)
    case .rabenseifner:
        // reduce-scatter: step i (distance 2^i) sends and reduces n / 2^(i+1); the allgather mirrors
        // it, sending the same amounts without reducing
        for i in 0..<lgP {
            let part = n / Double(1 << (i + 1))
            if i < lgQ {
                intra = intra + CostTerms(latencySteps: 2, bytesSent: 2 * part, bytesReduced: part)
            } else {
                inter = inter + CostTerms(latencySteps: 2, bytesSent: 2 * Double(q) * part, bytesReduced: part)
            }
        }
    default:
        inter = flat
    }
    return (intra, inter)
}

private func isPowerOfTwo(_ n: Int) -> Bool { n > 0 && n & (n - 1) == 0 }
