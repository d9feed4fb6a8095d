// Which allreduce Open MPI 4.1.4's coll/tuned component runs for a commutative operation (our Float
// sum) when no dynamic rules are set: ompi_coll_tuned_allreduce_intra_dec_fixed in
// ompi/mca/coll/tuned/coll_tuned_decision_fixed.c, tag v4.1.4, transcribed rule for rule below.
// It returns Open MPI's algorithm number (the numbers of `ompi_info --param coll tuned --level 9`,
// coll_tuned_allreduce_algorithm); `effective` follows the fall-backs in
// ompi/mca/coll/base/coll_base_allreduce.c: ring with count < p runs recursive doubling,
// Rabenseifner with count < p' runs basic linear, and the fixed rules' segmented ring gets
// segment size 0, which is the plain ring.

import Core
import Foundation

public enum OpenMPITunedAllreduce {
    /// coll_tuned_allreduce_algorithm's numbers: 1 basic_linear, 2 nonoverlapping (reduce + bcast),
    /// 3 recursive_doubling, 4 ring, 5 segmented_ring, 6 rabenseifner.
    public static func algorithmNumber(bytes: Int, ranks p: Int) -> Int {
        let n = bytes
        if p < 4 {
            if n < 8 { return 4 }
            if n < 4096 { return 3 }
            if n < 8192 { return 4 }
            if n < 16384 { return 3 }
            if n < 65536 { return 4 }
            if n < 262144 { return 5 }
            return 6
        }
        if p < 8 { return n < 16 ? 4 : n < 8192 ? 3 : 6 }
        if p < 16 { return n < 8192 ? 3 : 6 }
        if p < 32 { return n < 64 ? 5 : n < 4096 ? 3 : 6 }
        if p < 64 { return n < 128 ? 5 : 6 }
        if p < 128 { return n < 262144 ? 3 : 6 }
        if p < 256 { return n < 131072 ? 2 : n < 262144 ? 3 : 6 }
        if p < 512 { return n < 4096 ? 2 : 6 }
        if p < 2048 { return n < 2048 ? 2 : n < 16384 ? 3 : 6 }
        if p < 4096 { return n < 2048 ? 2 : n < 4096 ? 5 : n < 16384 ? 3 : 6 }
        return n < 2048 ? 2 : n < 16384 ? 5 : n < 32768 ? 3 : 6
    }

    /// The algorithm Open MPI's number `number` names (5, the segmented ring, as the ring: the fixed
    /// rules give it segment size 0); nil for 0 ("ignore") and unknown numbers.
    public static func algorithm(number: Int) -> AllreduceAlgorithm? {
        switch number {
        case 1: return .basicLinear
        case 2: return .reduceBroadcast
        case 3: return .recursiveDoubling
        case 4, 5: return .ring
        case 6: return .rabenseifner
        default: return nil
        }
    }

    /// The number that forces `algorithm` through coll_tuned_allreduce_algorithm; nil for two-level,
    /// which coll/tuned does not have.
    public static func number(forcing algorithm: AllreduceAlgorithm) -> Int? {
        switch algorithm {
        case .basicLinear: return 1
        case .reduceBroadcast: return 2
        case .recursiveDoubling: return 3
        case .ring: return 4
        case .rabenseifner: return 6
        case .twoLevel: return nil
        }
    }

    /// What actually runs when `algorithm` is asked for on `bytes` of Floats over `ranks` ranks.
    public static func effective(_ algorithm: AllreduceAlgorithm, bytes: Int, ranks: Int) -> AllreduceAlgorithm {
        let count = bytes / 4
        switch algorithm {
        case .ring where count < ranks: return .recursiveDoubling
        case .rabenseifner where count < largestPowerOfTwo(atMost: ranks): return .basicLinear
        default: return algorithm
        }
    }

    /// The algorithm the fixed rules run for an allreduce of `bytes` of Floats over `ranks` ranks.
    public static func chosen(bytes: Int, ranks: Int) -> AllreduceAlgorithm {
        let asked = algorithm(number: algorithmNumber(bytes: bytes, ranks: ranks)) ?? .recursiveDoubling
        return effective(asked, bytes: bytes, ranks: ranks)
    }
}
