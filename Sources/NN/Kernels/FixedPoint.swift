// The two passes of the exact strategy's fixed-point gradient sum (Training/Exchange/ExactExchange.swift)
// that touch every gradient of every micro-batch. They live among the kernels for the vector units
// this module is built with (Package.swift): rounding to nearest is then one instruction instead
// of a libm call per element, which had made the exact strategy spend a third of its step here.

import Core

/// The largest |g[i]| over count floats, as its bit pattern: positive floats order as their bits,
/// and Inf and NaN have the largest, so a result >= Float.infinity.bitPattern means a non-finite g.
public func largestMagnitudeBits(_ g: UnsafePointer<Float>, count: Int) -> UInt32 {
    var largest: UInt32 = 0
    for i in 0..<count { largest = max(largest, g[i].bitPattern & 0x7FFF_FFFF) }
    return largest
}

/// q[i] += g[i] · scale rounded to nearest (ties to even), for i < count. Every g must be finite
/// and every |g · scale| below 2^63.
public func addFixedPoint(_ g: UnsafePointer<Float>, scale: Double, into q: UnsafeMutablePointer<Int64>, count: Int) {
    for i in 0..<count { q[i] &+= Int64((Double(g[i]) * scale).rounded(.toNearestOrEven)) }
}
