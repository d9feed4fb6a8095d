// A pen skip: erases a thin band across one stroke of one (height, width) plane of [0, 1] ink
// (ink bright on background 0), so the digit falls into two strokes, as photographed digits
// sometimes do ("some digits are disconnected"). The band goes through one solid ink pixel
// (>= 0.9) in the middle half of the ink's rows (no crumb is cut off a stroke's end), along the
// direction, of 12, in which the stroke is narrowest there, and reaches one pixel past the
// stroke's edges on both sides. Pixels within band/2 of the band's centre line become 0, with a
// half-pixel linear edge. Nothing is allocated; a plane without solid ink is left as it is.

import Foundation

/// `pick` in [0, 1) chooses the pixel among the candidates; `band` is the width in px.
public func breakStroke(_ plane: UnsafeMutablePointer<Float>, width: Int, height: Int, band: Double, pick: Double) {
    // the ink's rows, then the middle half of them
    var top = height, bottom = -1
    for y in 0 ..< height {
        for x in 0 ..< width where plane[y * width + x] >= 0.5 { top = min(top, y); bottom = max(bottom, y); break }
    }
    guard bottom >= top else { return }
    let rows = (top + (bottom - top + 1) / 4) ... (bottom - (bottom - top + 1) / 4)
    var count = 0
    for y in rows { for x in 0 ..< width where plane[y * width + x] >= 0.9 { count += 1 } }
    guard count > 0 else { return }
    var target = min(Int(pick * Double(count)), count - 1), x0 = 0, y0 = 0
    search: for y in rows {
        for x in 0 ..< width where plane[y * width + x] >= 0.9 {
            if target == 0 { x0 = x; y0 = y; break search }
            target -= 1
        }
    }
    /// Signed distances from (x0, y0) to where the ink (>= 0.5) ends along `angle`, both ways.
    func run(_ angle: Double) -> (Int, Int) {
        let c = cos(angle), s = sin(angle)
        var ends = (0, 0)
        for sign in stride(from: -1.0, through: 1.0, by: 2.0) {
            var t = 0
            while t < width + height {
                let x = Int((Double(x0) + sign * Double(t + 1) * c).rounded())
                let y = Int((Double(y0) + sign * Double(t + 1) * s).rounded())
                guard x >= 0, x < width, y >= 0, y < height, plane[y * width + x] >= 0.5 else { break }
                t += 1
            }
            if sign < 0 { ends.0 = -t } else { ends.1 = t }
        }
        return ends
    }
    var best = 0.0, span = (0, 0), narrowest = Int.max
    for k in 0 ..< 12 {
        let angle = Double(k) * Double.pi / 12, r = run(angle)
        if r.1 - r.0 < narrowest { narrowest = r.1 - r.0; best = angle; span = r }
    }
    let c = cos(best), s = sin(best), half = band / 2
    for y in 0 ..< height {
        for x in 0 ..< width {
            let dx = Double(x - x0), dy = Double(y - y0)
            let along = dx * c + dy * s, across = abs(dx * s - dy * c)
            guard along > Double(span.0) - 1.5, along < Double(span.1) + 1.5, across < half + 0.5 else { continue }
            plane[y * width + x] *= Float(max(0, min(1, (across - half) / 0.5)))
        }
    }
}
