// Stroke-width augmentation: grey dilation (3x3 maximum) thickens bright strokes by one pixel per
// side, grey erosion (3x3 minimum) thins them. An amount of n + f px (0 <= f < 1) applies n whole
// steps, then blends f of the way toward one more step, so the width grows smoothly with the
// amount. The 3x3 window is clipped at the border (only pixels inside the image count); it is
// computed separably, a 3-wide pass along rows, then a 3-tall pass along columns.

/// Changes the stroke width of one (height, width) plane in place by `amount` px per side
/// (> 0 thicker, < 0 thinner, 0 nothing). `scratch` holds 2 x height x width floats.
public func changeStrokeWidth(_ plane: UnsafeMutablePointer<Float>, width: Int, height: Int, by amount: Double,
                              scratch: UnsafeMutablePointer<Float>) {
    guard amount != 0, amount.isFinite, width > 0, height > 0 else { return }
    if amount > 0 {
        changeStrokeWidth(plane, width: width, height: height, steps: amount, scratch: scratch, max)
    } else {
        changeStrokeWidth(plane, width: width, height: height, steps: -amount, scratch: scratch, min)
    }
}

/// `steps` (> 0) steps of the 3x3 `pick` (max or min), the last one fractional.
@inline(__always)
private func changeStrokeWidth(_ plane: UnsafeMutablePointer<Float>, width: Int, height: Int, steps: Double,
                               scratch: UnsafeMutablePointer<Float>, _ pick: (Float, Float) -> Float) {
    let whole = Int(steps), fraction = Float(steps - Double(whole))
    let count = width * height
    let rows = scratch, step = scratch + count          // (H, W) each
    for _ in 0..<whole {
        pickAlongRows(plane, into: rows, width: width, height: height, pick)
        pickAlongColumns(rows, into: plane, width: width, height: height, pick)
    }
    guard fraction > 0 else { return }
    pickAlongRows(plane, into: rows, width: width, height: height, pick)
    pickAlongColumns(rows, into: step, width: width, height: height, pick)
    for i in 0..<count { plane[i] += fraction * (step[i] - plane[i]) }
}

/// destination(x, y) = pick over source(x-1...x+1, y), clipped to the row.
@inline(__always)
private func pickAlongRows(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
                           width: Int, height: Int, _ pick: (Float, Float) -> Float) {
    for y in 0..<height {
        let s = source + y * width, d = destination + y * width
        guard width > 1 else { d[0] = s[0]; continue }
        d[0] = pick(s[0], s[1])
        for x in 1..<(width - 1) { d[x] = pick(pick(s[x - 1], s[x]), s[x + 1]) }
        d[width - 1] = pick(s[width - 2], s[width - 1])
    }
}

/// destination(x, y) = pick over source(x, y-1...y+1), clipped to the column.
@inline(__always)
private func pickAlongColumns(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
                              width: Int, height: Int, _ pick: (Float, Float) -> Float) {
    for y in 0..<height {
        let above = source + max(y - 1, 0) * width, here = source + y * width
        let below = source + min(y + 1, height - 1) * width, d = destination + y * width
        for x in 0..<width { d[x] = pick(pick(above[x], here[x]), below[x]) }
    }
}
