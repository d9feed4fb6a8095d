// Max pooling over 3x3 windows at stride 2 (AlexNet's overlapping pool), one output row at a time
// (Layers/Pooling.swift's fast path). Rows of 4 or more windows run 4 windows per step in SIMD
// lanes: a window's three columns are the even and the odd lanes of 8 consecutive floats and the
// odd lanes of the 8 floats one further (which never reach past the row); the last step overlaps
// the one before. Shorter rows go one window at a time. The nine cells are visited in row-major
// order with a strict compare, so ties keep the first maximum, as the general loop does; argmax is
// the index in the input plane.
// No branch depends on the data (a select compiled to a branch mispredicts every other window).

import Core

/// d[ox], a[ox] = max and argmax of the window whose top-left cell is r0[2·ox]; its three rows are
/// r0, r0 + w, r0 + 2w; `corner` is the index of r0[0] in the plane.
@inline(__always)
func maxPool3x3Row(_ r0: UnsafePointer<Float>, width w: Int, _ d: UnsafeMutablePointer<Float>,
                   _ a: UnsafeMutablePointer<Int32>, outputs ow: Int, corner: Int32) {
    if ow >= 4 { return maxPool3x3RowSIMD(r0, width: w, d, a, outputs: ow, corner: corner) }
    let w32 = Int32(truncatingIfNeeded: w)
    for ox in 0..<ow {
        let c0 = 2 * ox
        var best = r0[c0], bestIndex = corner &+ Int32(truncatingIfNeeded: c0)
        for r in 0..<3 {
            for c in 0..<3 where r + c > 0 {
                let v = r0[r * w + c0 + c], t = v > best
                best = t ? v : best
                bestIndex = t ? corner &+ Int32(truncatingIfNeeded: r) &* w32 &+ Int32(truncatingIfNeeded: c0 + c) : bestIndex
            }
        }
        d[ox] = best; a[ox] = bestIndex
    }
}

@inline(__always)
private func maxPool3x3RowSIMD(_ r0: UnsafePointer<Float>, width w: Int, _ d: UnsafeMutablePointer<Float>,
                               _ a: UnsafeMutablePointer<Int32>, outputs ow: Int, corner: Int32) {
    let n = 4, w32 = Int32(truncatingIfNeeded: w)
    var ox = 0
    while true {
        let start = min(ox, ow - n), c = 2 * start
        let left = SIMD4<Int32>(repeating: corner &+ Int32(truncatingIfNeeded: c)) &+ windowColumns
        var best = SIMD4<Float>(), index = left
        for r in 0..<3 {
            let row = r0 + (r * w + c)
            let v = load8(row), shifted = load8(row + 1)
            let rowIndex = left &+ SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: r) &* w32)
            let candidates = (v.evenHalf, v.oddHalf, shifted.oddHalf)
            if r == 0 {
                best = candidates.0
            } else {
                let t = candidates.0 .> best
                best.replace(with: candidates.0, where: t); index.replace(with: rowIndex, where: t)
            }
            let t1 = candidates.1 .> best
            best.replace(with: candidates.1, where: t1); index.replace(with: rowIndex &+ 1, where: t1)
            let t2 = candidates.2 .> best
            best.replace(with: candidates.2, where: t2); index.replace(with: rowIndex &+ 2, where: t2)
        }
        UnsafeMutableRawPointer(d + start).storeBytes(of: best, as: SIMD4<Float>.self)
        UnsafeMutableRawPointer(a + start).storeBytes(of: index, as: SIMD4<Int32>.self)
        ox = start + n
        if ox >= ow { return }
    }
}
