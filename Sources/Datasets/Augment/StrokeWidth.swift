// Stroke-width augmentation: grey dilation (3x3 maximum) thickens bright strokes by one pixel per
// side, grey erosion (3x3 minimum) thins them. An amount of n + f px (0 <= f < 1) applies n whole
// steps, then blends f of the way toward one more step, so the width grows smoothly with the
// amount. The 3x3 window is clipped at the border (only pixels inside the image count).

/// Changes the stroke width of one (height, width) plane in place by `amount` px per side
/// (> 0 thicker, < 0 thinner, 0 nothing). `scratch` holds height x width floats.
public func changeStrokeWidth(_ plane: UnsafeMutablePointer<Float>, width: Int, height: Int, by amount: Double,
                              scratch: UnsafeMutablePointer<Float>) {
    guard amount != 0, amount.isFinite else { return }
    let grow = amount > 0, magnitude = abs(amount)
    let whole = Int(magnitude), fraction = Float(magnitude - Double(whole))
    let count = width * height
    for _ in 0..<whole {
        extremum3x3(plane, into: scratch, width: width, height: height, maximum: grow)
        plane.update(from: scratch, count: count)
    }
    guard fraction > 0 else { return }
    extremum3x3(plane, into: scratch, width: width, height: height, maximum: grow)
    for i in 0..<count { plane[i] += fraction * (scratch[i] - plane[i]) }
}

/// The 3x3 maximum (or minimum) of each pixel of `source` into `destination`, window clipped to the image.
func extremum3x3(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
                 width: Int, height: Int, maximum: Bool) {
    for y in 0..<height {
        let y0 = max(y - 1, 0), y1 = min(y + 1, height - 1)
        for x in 0..<width {
            let x0 = max(x - 1, 0), x1 = min(x + 1, width - 1)
            var v = source[y * width + x]
            for yy in y0...y1 {
                let row = source + yy * width
                for xx in x0...x1 { v = maximum ? max(v, row[xx]) : min(v, row[xx]) }
            }
            destination[y * width + x] = v
        }
    }
}
