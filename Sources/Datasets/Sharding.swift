// World-size-invariant sharding (DESIGN.md "Sharding"). Each epoch has one permutation of the
// training positions computed from (seed, epoch) alone; global step k trains on perm[k*B ..< (k+1)*B],
// B = worldSize x perRankBatch, rank r on the contiguous slice r of it; the incomplete tail is dropped.
// Evaluation splits 0..<count into contiguous, near-equal rank ranges with no duplicates.

import Core
import NN

/// Stream tag for the epoch permutation ("PERM"), so it never shares a stream with other uses of the seed.
let permutationTag: UInt64 = 0x5045_524D

/// A uniformly random permutation of 0..<count (Fisher-Yates), the same on every rank.
public func epochPermutation(count: Int, seed: UInt64, epoch: Int) -> [Int32] {
    precondition(count >= 0 && count <= Int(Int32.max), "permutation size \(count) out of range")
    var rng = SplitMix64(seed: seed, permutationTag, UInt64(epoch))
    var perm = (0 ..< Int32(count)).map { $0 }
    perm.withUnsafeMutableBufferPointer { p in
        var i = count - 1
        while i > 0 {
            let j = uniformBelow(UInt64(i + 1), &rng)
            p.swapAt(i, Int(j))
            i -= 1
        }
    }
    return perm
}

/// Unbiased uniform in 0..<bound (Lemire's multiply-shift with rejection).
@inline(__always)
private func uniformBelow(_ bound: UInt64, _ rng: inout SplitMix64) -> UInt64 {
    var m = rng.next().multipliedFullWidth(by: bound)
    if m.low < bound {
        let threshold = (0 &- bound) % bound
        while m.low < threshold { m = rng.next().multipliedFullWidth(by: bound) }
    }
    return m.high
}

/// Which positions of the epoch permutation each step and rank trains on.
public struct ShardPlan {
    public let count: Int
    public let worldSize: Int
    public let perRankBatch: Int
    public let globalBatch: Int     // worldSize x perRankBatch
    public let stepsPerEpoch: Int   // count / globalBatch (drop_last); 0 when globalBatch > count

    public init(count: Int, worldSize: Int, perRankBatch: Int) {
        precondition(count >= 0 && worldSize > 0 && perRankBatch > 0, "invalid shard plan")
        self.count = count
        self.worldSize = worldSize
        self.perRankBatch = perRankBatch
        globalBatch = worldSize * perRankBatch
        stepsPerEpoch = count / globalBatch
    }

    /// Positions into the permutation of global batch `step`.
    public func globalRange(step: Int) -> Range<Int> {
        precondition(step >= 0 && step < stepsPerEpoch, "step \(step) outside 0..<\(stepsPerEpoch)")
        return step * globalBatch ..< (step + 1) * globalBatch
    }

    /// Positions into the permutation that `rank` trains on at `step`: slice `rank` of the global batch.
    public func rankRange(step: Int, rank: Int) -> Range<Int> {
        precondition(rank >= 0 && rank < worldSize, "rank \(rank) outside 0..<\(worldSize)")
        let start = globalRange(step: step).lowerBound + rank * perRankBatch
        return start ..< start + perRankBatch
    }
}

/// The contiguous part of 0..<count that `rank` evaluates: every index exactly once over all
/// ranks, sizes differing by at most one, no padding. Combine results by summing counts.
public func evaluationRange(count: Int, rank: Int, worldSize: Int) -> Range<Int> {
    precondition(count >= 0 && worldSize > 0 && rank >= 0 && rank < worldSize, "invalid evaluation split")
    let base = count / worldSize, extra = count % worldSize
    let start = rank * base + min(rank, extra)
    return start ..< start + base + (rank < extra ? 1 : 0)
}
