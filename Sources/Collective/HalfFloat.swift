// 16-bit floats on the wire (train.compress): IEEE binary16 (fp16: 1 sign, 5 exponent, 10 mantissa
// bits) and bfloat16 (bf16: the top 16 bits of an fp32). Encoding rounds to nearest, ties to even.
// Overflow: a FINITE fp32 whose rounding would be infinite is clamped to the largest finite value
// of the format (fp16: +-65504; bf16: +-3.3895e38), so a large gradient is clipped, not turned into
// inf; +-inf and NaN stay +-inf and NaN (a diverged step stays visible). Values below the
// format's smallest subnormal round to +-0. The sum of two 16-bit values (`add`, the combine of
// every 16-bit reduction: MPI's user-defined op and ThreadCommunicator's) widens both to fp32, adds
// in fp32 and rounds once, with the same clamping.

/// The wire format of a 16-bit reduction.
public enum HalfFormat: String, Sendable, CaseIterable {
    case fp16, bf16

    /// The 16 bits of `x` in this format (round to nearest even, finite overflow clamped).
    @inline(__always)
    public func encode(_ x: Float) -> UInt16 {
        switch self {
        case .fp16: return encodeFP16(x)
        case .bf16: return encodeBF16(x)
        }
    }

    /// The fp32 value of 16 bits in this format (exact: every 16-bit value is an fp32).
    @inline(__always)
    public func decode(_ h: UInt16) -> Float {
        switch self {
        case .fp16: return decodeFP16(h)
        case .bf16: return Float(bitPattern: UInt32(h) << 16)
        }
    }

    /// a + b: both widened to fp32, added in fp32, rounded once back to this format.
    @inline(__always)
    public func add(_ a: UInt16, _ b: UInt16) -> UInt16 { encode(decode(a) + decode(b)) }

    /// Encodes `count` floats from `source` into `destination`.
    public func encode(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<UInt16>, count: Int) {
        switch self {
        case .fp16: for i in 0..<count { destination[i] = encodeFP16(source[i]) }
        case .bf16: for i in 0..<count { destination[i] = encodeBF16(source[i]) }
        }
    }

    /// Decodes `count` 16-bit values from `source` into `destination`.
    public func decode(_ source: UnsafePointer<UInt16>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .fp16: for i in 0..<count { destination[i] = decodeFP16(source[i]) }
        case .bf16: for i in 0..<count { destination[i] = Float(bitPattern: UInt32(source[i]) << 16) }
        }
    }

    /// inout[i] = add(in[i], inout[i]) for `count` elements: the reduction's combine.
    public func accumulate(_ source: UnsafePointer<UInt16>, into destination: UnsafeMutablePointer<UInt16>, count: Int) {
        switch self {
        case .fp16:
            for i in 0..<count {
                destination[i] = encodeFP16(decodeFP16(source[i]) + decodeFP16(destination[i]))
            }
        case .bf16:
            for i in 0..<count {
                destination[i] = encodeBF16(Float(bitPattern: UInt32(source[i]) << 16) + Float(bitPattern: UInt32(destination[i]) << 16))
            }
        }
    }

    /// The largest finite value of the format.
    public var greatestFinite: Float {
        switch self {
        case .fp16: return 65504
        case .bf16: return Float(bitPattern: 0x7F7F_0000)
        }
    }
}

// fp16 in integer and fp32 operations only, selects instead of branches (Swift's Float16
// conversion is a library call per element on x86-64 without F16C: encoding and decoding 61,706
// values took 1.9 ms that way, 0.27 ms this way, on this 2-core machine under load); after
// F. Giesen's float_to_half_fast3_rtne and half_to_float. Tests compare both with Float16.
@inline(__always)
private func encodeFP16(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
    let a = bits & 0x7FFF_FFFF                                     // |x|
    // |x| < 2^-14 (fp16 subnormal or zero): adding 0.5 lets the fp32 adder round at 2^-24
    let subnormal = (Float(bitPattern: a) + 0.5).bitPattern &- Float(0.5).bitPattern
    // normal: rebias the exponent (-112 << 23), round the 13 dropped bits to nearest even
    let normal = (a &+ 0xC800_0FFF &+ ((a >> 13) & 1)) >> 13
    let finite = min(a < 113 << 23 ? subnormal : normal, 0x7BFF)  // rounding up to inf: clamp to 65504
    let large: UInt32 = a > 0x7F80_0000 ? 0x7E00 : a == 0x7F80_0000 ? 0x7C00 : 0x7BFF   // NaN, inf, >= 2^16
    return UInt16(truncatingIfNeeded: a >= 143 << 23 ? large : finite) | sign
}

@inline(__always)
private func decodeFP16(_ h: UInt16) -> Float {
    let hb = UInt32(h)
    let shifted = (hb & 0x7FFF) << 13                               // exponent and mantissa in place
    let exponent = shifted & (0x7C00 << 13)
    let normal = shifted &+ (112 << 23) &+ (exponent == 0x7C00 << 13 ? 112 << 23 : 0)   // inf/NaN: exponent 255
    let subnormal = (Float(bitPattern: shifted &+ (113 << 23)) - Float(bitPattern: 113 << 23)).bitPattern
    return Float(bitPattern: (exponent == 0 ? subnormal : normal) | (hb & 0x8000) << 16)
}

@inline(__always)
private func encodeBF16(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }   // stays a (quiet) NaN
    // nearest even: add 0x7FFF plus the lowest kept bit, then drop the low 16 bits
    let rounded = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    if rounded & 0x7FFF == 0x7F80 && x.isFinite { return rounded &- 1 }    // clamp to -+max finite
    return rounded
}
