// SIMD8 building blocks of the direct convolution kernels: loads and stores at any alignment, a
// multiply-add that is fused where the target has FMA, and the register tiles the kernels keep
// their sums in. A tile's fields are plain SIMD8 values so the compiler keeps them in registers;
// each tile is sized to fit AVX2's 16 vector registers with its operands.

#if DTRAIN_FMA
import Core
import _Builtin_intrinsics.intel     // AVX is on in such builds (Package.swift); __m256 is SIMD8<Float>
#endif

/// acc += a · b, fused where the target has FMA (Swift's addProduct would otherwise call fmaf per lane).
@inline(__always)
func multiplyAdd(_ acc: inout SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) {
    #if DTRAIN_FMA
    acc.addProduct(a, b)
    #else
    acc += a * b
    #endif
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Stores the first `count` lanes of v (all 8 when count >= 8).
@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, count: Int = 8) {
    if count >= 8 {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    } else {
        for l in 0..<count { p[l] = v[l] }
    }
}

/// Lane-wise square root, correctly rounded as Float.squareRoot(): one vsqrtps in AVX builds.
/// SIMD8's own squareRoot() compiles to a scalar square root per lane.
@inline(__always)
func squareRoot8(_ v: SIMD8<Float>) -> SIMD8<Float> {
    #if DTRAIN_FMA
    _mm256_sqrt_ps(v)
    #else
    v.squareRoot()
    #endif
}

@inline(__always)
func roundUp(_ n: Int, _ multiple: Int) -> Int { (n + multiple - 1) / multiple * multiple }

/// Six rows of 16 sums: rows are output channels (row kernels) or pixels/taps (channel kernels),
/// the 16 columns are output columns or channels. Twelve sums, two operand vectors and one
/// broadcast fit AVX2's 16 registers.
struct Tile6x16 {
    var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b1 = SIMD8<Float>()
    var a2 = SIMD8<Float>(), b2 = SIMD8<Float>(), a3 = SIMD8<Float>(), b3 = SIMD8<Float>()
    var a4 = SIMD8<Float>(), b4 = SIMD8<Float>(), a5 = SIMD8<Float>(), b5 = SIMD8<Float>()

    init() {}

    /// Row q from base + q·stride (16 floats each).
    @inline(__always)
    init(_ base: UnsafePointer<Float>, stride: Int) {
        a0 = load8(base); b0 = load8(base + 8)
        a1 = load8(base + stride); b1 = load8(base + stride + 8)
        a2 = load8(base + 2 * stride); b2 = load8(base + 2 * stride + 8)
        a3 = load8(base + 3 * stride); b3 = load8(base + 3 * stride + 8)
        a4 = load8(base + 4 * stride); b4 = load8(base + 4 * stride + 8)
        a5 = load8(base + 5 * stride); b5 = load8(base + 5 * stride + 8)
    }

    @inline(__always)
    func store(_ base: UnsafeMutablePointer<Float>, stride: Int) {
        store8(a0, base); store8(b0, base + 8)
        store8(a1, base + stride); store8(b1, base + stride + 8)
        store8(a2, base + 2 * stride); store8(b2, base + 2 * stride + 8)
        store8(a3, base + 3 * stride); store8(b3, base + 3 * stride + 8)
        store8(a4, base + 4 * stride); store8(b4, base + 4 * stride + 8)
        store8(a5, base + 5 * stride); store8(b5, base + 5 * stride + 8)
    }

    /// Row q += s_q · (v0, v1).
    @inline(__always)
    mutating func accumulate(_ s0: Float, _ s1: Float, _ s2: Float, _ s3: Float, _ s4: Float, _ s5: Float,
                             _ v0: SIMD8<Float>, _ v1: SIMD8<Float>) {
        var w = SIMD8<Float>(repeating: s0); multiplyAdd(&a0, w, v0); multiplyAdd(&b0, w, v1)
        w = SIMD8(repeating: s1); multiplyAdd(&a1, w, v0); multiplyAdd(&b1, w, v1)
        w = SIMD8(repeating: s2); multiplyAdd(&a2, w, v0); multiplyAdd(&b2, w, v1)
        w = SIMD8(repeating: s3); multiplyAdd(&a3, w, v0); multiplyAdd(&b3, w, v1)
        w = SIMD8(repeating: s4); multiplyAdd(&a4, w, v0); multiplyAdd(&b4, w, v1)
        w = SIMD8(repeating: s5); multiplyAdd(&a5, w, v0); multiplyAdd(&b5, w, v1)
    }

    /// Row q += f[q] · (v0, v1) for six consecutive scalars at f.
    @inline(__always)
    mutating func accumulate(_ f: UnsafePointer<Float>, _ v0: SIMD8<Float>, _ v1: SIMD8<Float>) {
        accumulate(f[0], f[1], f[2], f[3], f[4], f[5], v0, v1)
    }

    @inline(__always)
    func row(_ q: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        switch q {
        case 0: return (a0, b0)
        case 1: return (a1, b1)
        case 2: return (a2, b2)
        case 3: return (a3, b3)
        case 4: return (a4, b4)
        default: return (a5, b5)
        }
    }
}

/// 3 output channels x 3 taps of filter-gradient lane sums, loaded from and stored to memory
/// (tap r of channel q at base + q·stride + r·8). Nine sums, three x vectors and one dy vector at
/// a time fit AVX2's 16 registers.
struct Tile3x3 {
    var c00, c01, c02, c10, c11, c12, c20, c21, c22: SIMD8<Float>

    @inline(__always)
    init(_ base: UnsafePointer<Float>, stride: Int) {
        let b1 = base + stride, b2 = base + 2 * stride
        c00 = load8(base); c01 = load8(base + 8); c02 = load8(base + 16)
        c10 = load8(b1); c11 = load8(b1 + 8); c12 = load8(b1 + 16)
        c20 = load8(b2); c21 = load8(b2 + 8); c22 = load8(b2 + 16)
    }

    /// Channel q += dy_q · x_r for the three shifted input vectors x_r.
    @inline(__always)
    mutating func accumulate(_ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>,
                             _ d0: UnsafePointer<Float>, _ d1: UnsafePointer<Float>, _ d2: UnsafePointer<Float>) {
        var d = load8(d0); multiplyAdd(&c00, d, x0); multiplyAdd(&c01, d, x1); multiplyAdd(&c02, d, x2)
        d = load8(d1); multiplyAdd(&c10, d, x0); multiplyAdd(&c11, d, x1); multiplyAdd(&c12, d, x2)
        d = load8(d2); multiplyAdd(&c20, d, x0); multiplyAdd(&c21, d, x1); multiplyAdd(&c22, d, x2)
    }

    @inline(__always)
    func store(_ base: UnsafeMutablePointer<Float>, stride: Int) {
        let b1 = base + stride, b2 = base + 2 * stride
        store8(c00, base); store8(c01, base + 8); store8(c02, base + 16)
        store8(c10, b1); store8(c11, b1 + 8); store8(c12, b1 + 16)
        store8(c20, b2); store8(c21, b2 + 8); store8(c22, b2 + 16)
    }
}

/// p[0] + ... + p[count - 1] in 32 interleaved partial sums: a plain loop is one chain of
/// dependent adds (4 cycles each), which the compiler may not reorder. Fixed order: deterministic.
@inline(__always)
func laneSum(_ p: UnsafePointer<Float>, count: Int) -> Float {
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
    var i = 0
    while i &+ 32 <= count {
        s0 += load8(p + i); s1 += load8(p + i + 8); s2 += load8(p + i + 16); s3 += load8(p + i + 24)
        i &+= 32
    }
    while i &+ 8 <= count { s0 += load8(p + i); i &+= 8 }
    var tail: Float = 0
    while i < count { tail += p[i]; i &+= 1 }
    return ((s0 + s1) + (s2 + s3)).sum() + tail
}

/// max(v, 0) lane by lane when `relu` (the fused ReLU, as Swift's max: NaN stays NaN, -0 becomes
/// +0), else v. The zero is a constant, not a parameter: a runtime vector kept live through a
/// register-tiled loop spilled the tile (convolveRows ran 45% slower).
@inline(__always)
func rectified(_ v: SIMD8<Float>, _ relu: Bool) -> SIMD8<Float> {
    let zero = SIMD8<Float>()
    return relu ? v.replacing(with: zero, where: v .<= zero) : v
}
