// Deterministic random numbers. Everything random in dtrain (initialisation, the epoch
// permutation, dropout masks) is a pure function of the run seed and a few integers, so it is
// the same at every world size and on every rank.

import Core
import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast, statistically good 64-bit generator.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    /// A generator for the stream named by `keys` under `seed`.
    public init(seed: UInt64, _ keys: UInt64...) { state = mixKeys(seed, keys) }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return finalizeMix(state)
    }

    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }
    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// Standard normal by Box-Muller (one of the pair is used; simplicity over speed: init only).
    public mutating func nextNormal() -> Double {
        var u1 = nextUnitDouble()
        while u1 <= 0 { u1 = nextUnitDouble() }
        let u2 = nextUnitDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

@inlinable @inline(__always)
public func finalizeMix(_ z0: UInt64) -> UInt64 {
    var z = z0
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Hashes a seed and a list of keys into one well-mixed 64-bit value.
@inline(__always)
public func mixKeys(_ seed: UInt64, _ keys: [UInt64]) -> UInt64 {
    var h = finalizeMix(seed &+ 0x9E37_79B9_7F4A_7C15)
    for k in keys { h = mixStep(h, k) }
    return h
}

/// mixKeys(seed, [a, b, c]) without the array: for per-sample streams (dropout masks,
/// augmentation draws), where an array literal would be a heap allocation per sample.
@inlinable @inline(__always)
public func mixKeys(_ seed: UInt64, _ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
    mixStep(mixStep(mixStep(finalizeMix(seed &+ 0x9E37_79B9_7F4A_7C15), a), b), c)
}

/// One key folded into the running hash `h` (mixKeys' loop body).
@inlinable @inline(__always)
public func mixStep(_ h: UInt64, _ k: UInt64) -> UInt64 {
    finalizeMix(h ^ (k &+ 0x9E37_79B9_7F4A_7C15 &+ (h << 6) &+ (h >> 2)))
}

/// A counter-based uniform in [0, 1): the same (seed, a, b, c) always gives the same value.
@inline(__always)
public func counterUniform(_ seed: UInt64, _ a: UInt64, _ b: UInt64, _ c: UInt64) -> Float {
    let h = finalizeMix(finalizeMix(finalizeMix(seed ^ 0xD1B5_4A32_D192_ED03 &+ a) ^ b) &+ c)
    return Float(h >> 40) * (1.0 / 16_777_216.0)
}

