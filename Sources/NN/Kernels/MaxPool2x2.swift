// Max pooling over 2x2 windows at stride 2, one output row at a time (Layers/Pooling.swift's
// fast path). Rows of 4 or more windows run 4 windows per step in SIMD lanes — the two columns of
// each window are the even and odd lanes of 8 consecutive floats — with the last step overlapping
// the one before (recomputing a window is harmless); shorter rows go one window at a time. No
// branch depends on the data: a mispredicted compare per window costs more than the window.
// (The same code over SIMD16, 8 windows per step, compiled to lane-by-lane code here: 20x slower.)
// Ties keep the first maximum in row-major order; argmax is the index in the input plane.
// Compares are vector to vector: a scalar operand (k .== 0) builds its mask lane by lane.

import Core

/// Each of 4 stride-2 windows' left cell relative to the first window's (here and MaxPool3x3.swift).
let windowColumns = SIMD4<Int32>(0, 2, 4, 6)

/// (e0, o0, e1, o1, e2, o2, e3, o3)
@inline(__always)
private func interleave(_ e: SIMD4<Float>, _ o: SIMD4<Float>) -> SIMD8<Float> {
    SIMD8(e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3])
}

/// d[ox], a[ox] = max and argmax of the window whose top-left is r0[2·ox]; r1 = r0 + w.
/// `corner` = index of r0[0] in the plane.
@inline(__always)
func maxPool2x2Row(_ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>,
                   _ a: UnsafeMutablePointer<Int32>, outputs ow: Int, corner: Int32, width w: Int32) {
    if ow >= 4 { return maxPool2x2RowSIMD(r0, r1, d, a, outputs: ow, corner: corner, width: w) }
    for ox in 0..<ow {
        let c = 2 * ox
        let v00 = r0[c], v01 = r0[c + 1], v10 = r1[c], v11 = r1[c + 1]
        let i0: Int32 = v01 > v00 ? 1 : 0, i1: Int32 = v11 > v10 ? w &+ 1 : w
        let m0 = v01 > v00 ? v01 : v00, m1 = v11 > v10 ? v11 : v10
        let t = m1 > m0
        d[ox] = t ? m1 : m0
        a[ox] = corner &+ Int32(truncatingIfNeeded: c) &+ (t ? i1 : i0)
    }
}

@inline(__always)
private func maxPool2x2RowSIMD(_ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>,
                               _ d: UnsafeMutablePointer<Float>, _ a: UnsafeMutablePointer<Int32>,
                               outputs ow: Int, corner: Int32, width w: Int32) {
    let n = 4
    let one = SIMD4<Int32>(repeating: 1), below = SIMD4<Int32>(repeating: w), left = SIMD4<Int32>()
    var ox = 0
    while true {
        let start = min(ox, ow - n), c = 2 * start
        let v0 = load8(r0 + c), v1 = load8(r1 + c)
        let v00 = v0.evenHalf, v01 = v0.oddHalf, v10 = v1.evenHalf, v11 = v1.oddHalf
        let t0 = v01 .> v00, t1 = v11 .> v10
        let m0 = v00.replacing(with: v01, where: t0), m1 = v10.replacing(with: v11, where: t1)
        let i0 = left.replacing(with: one, where: t0), i1 = below.replacing(with: below &+ one, where: t1)
        let t = m1 .> m0
        UnsafeMutableRawPointer(d + start).storeBytes(of: m0.replacing(with: m1, where: t), as: SIMD4<Float>.self)
        let index = SIMD4<Int32>(repeating: corner &+ Int32(truncatingIfNeeded: c)) &+ windowColumns
            &+ i0.replacing(with: i1, where: t)
        UnsafeMutableRawPointer(a + start).storeBytes(of: index, as: SIMD4<Int32>.self)
        ox = start + n
        if ox >= ow { return }
    }
}

/// The adjoint over one row of windows that tile the input: each of the window's 4 cells gets
/// dy[ox] if it is the argmax, else 0 (every dx cell of the two rows is written once). With
/// `pooled` (the row's max values), dy[ox] counts only where pooled[ox] > 0 (a fused ReLU's mask).
@inline(__always)
func maxUnpool2x2Row(_ dy: UnsafePointer<Float>, _ pooled: UnsafePointer<Float>?, _ a: UnsafePointer<Int32>,
                     _ r0: UnsafeMutablePointer<Float>, _ r1: UnsafeMutablePointer<Float>, outputs ow: Int,
                     corner: Int32, width w: Int32) {
    if ow >= 4 { return maxUnpool2x2RowSIMD(dy, pooled, a, r0, r1, outputs: ow, corner: corner, width: w) }
    for ox in 0..<ow {
        let c = 2 * ox
        let counts = pooled.map { $0[ox] > 0 } ?? true
        let v = counts ? dy[ox] : 0, k = a[ox] &- corner &- Int32(truncatingIfNeeded: c)
        r0[c] = k == 0 ? v : 0
        r0[c + 1] = k == 1 ? v : 0
        r1[c] = k == w ? v : 0
        r1[c + 1] = k == w &+ 1 ? v : 0
    }
}

@inline(__always)
private func maxUnpool2x2RowSIMD(_ dy: UnsafePointer<Float>, _ pooled: UnsafePointer<Float>?, _ a: UnsafePointer<Int32>,
                                 _ r0: UnsafeMutablePointer<Float>, _ r1: UnsafeMutablePointer<Float>,
                                 outputs ow: Int, corner: Int32, width w: Int32) {
    let n = 4
    let one = SIMD4<Int32>(repeating: 1), below = SIMD4<Int32>(repeating: w), left = SIMD4<Int32>(), zero = SIMD4<Float>()
    var ox = 0
    while true {
        let start = min(ox, ow - n), c = 2 * start
        var v = UnsafeRawPointer(dy + start).loadUnaligned(as: SIMD4<Float>.self)
        if let pooled {
            let y = UnsafeRawPointer(pooled + start).loadUnaligned(as: SIMD4<Float>.self)
            v = zero.replacing(with: v, where: y .> zero)
        }
        let k = UnsafeRawPointer(a + start).loadUnaligned(as: SIMD4<Int32>.self)
            &- SIMD4<Int32>(repeating: corner &+ Int32(truncatingIfNeeded: c)) &- windowColumns   // 0, 1, w, w + 1
        let top = interleave(zero.replacing(with: v, where: k .== left), zero.replacing(with: v, where: k .== one))
        let bottom = interleave(zero.replacing(with: v, where: k .== below), zero.replacing(with: v, where: k .== below &+ one))
        store8(top, r0 + c)
        store8(bottom, r1 + c)
        ox = start + n
        if ox >= ow { return }
    }
}
