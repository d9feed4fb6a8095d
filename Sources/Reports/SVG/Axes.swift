// Axis scales (linear or log10, domain snapped to nice ticks) and the frame every x/y chart
// draws: grid lines, tick labels, axis lines and axis titles around a plot rectangle.

import Core
import Foundation

struct AxisScale {
    let ticks: [Double]
    let isLog: Bool
    private let lo: Double, hi: Double      // domain, in log10 units when isLog
    var pixels: (Double, Double) = (0, 1)   // where lo and hi land

    /// A scale covering the finite (and, for log, positive) `values`. With `snap` the domain runs
    /// from the tick at or below the data to the tick at or above it; without, it is the data's
    /// own range (ticks inside it, or within 3% of it) — for x axes, so a line does not stop short
    /// of the edge. Log axes always snap.
    init(values: [Double], log: Bool = false, integers: Bool = false, target: Int = 6,
         includeZero: Bool = false, snap: Bool = true) {
        var usable = values.filter { $0.isFinite && (!log || $0 > 0) }
        if includeZero, !log { usable.append(0) }
        isLog = log
        let dataLo = usable.min(), dataHi = usable.max()
        let all = log ? NiceTicks.log(lo: dataLo ?? 1, hi: dataHi ?? 10)
                      : NiceTicks.linear(lo: dataLo ?? 0, hi: dataHi ?? 1, target: target, integers: integers)
        let eps = ((dataHi ?? 0) - (dataLo ?? 0)) * 1e-9
        let inside = all.filter { t in t >= (dataLo ?? .infinity) - eps && t <= (dataHi ?? -.infinity) + eps }
        if !snap, let dataLo, let dataHi, dataLo < dataHi, inside.count >= 2, !log {
            // A tick just outside the data (step 0 before step 1) still bounds the axis.
            let near = (dataHi - dataLo) * 0.03
            let first = all.first!, last = all.last!
            ticks = (dataLo - first <= near && first < inside.first! ? [first] : []) + inside
                + (last - dataHi <= near && last > inside.last! ? [last] : [])
            lo = min(dataLo, ticks.first!)
            hi = max(dataHi, ticks.last!)
        } else {
            ticks = all
            lo = log ? log10(all.first!) : all.first!
            hi = log ? log10(all.last!) : all.last!
        }
    }

    /// The pixel position of `v`, or nil when it cannot be drawn (missing, or not positive on log).
    func map(_ v: Double) -> Double? {
        guard v.isFinite, !isLog || v > 0 else { return nil }
        let t = ((isLog ? log10(v) : v) - lo) / (hi - lo)
        return pixels.0 + t * (pixels.1 - pixels.0)
    }

    func label(_ v: Double) -> String {
        isLog ? NiceTicks.logLabel(v) : NiceTicks.label(v, step: ticks.count > 1 ? ticks[1] - ticks[0] : 1)
    }

    /// Width of the widest tick label at `size` px.
    func labelWidth(size: Double) -> Double { ticks.map { textWidth(label($0), size: size) }.max() ?? 0 }
}

/// A plot rectangle in pixels.
struct PlotRect {
    var left: Double, top: Double, width: Double, height: Double
    var right: Double { left + width }
    var bottom: Double { top + height }
}

extension SVGWriter {
    /// Grid lines at both scales' ticks, tick labels, the left and bottom axis lines and titles.
    mutating func frame(_ r: PlotRect, x: AxisScale?, y: AxisScale?, xTitle: String, yTitle: String) {
        if let x {
            for t in x.ticks {
                guard let px = x.map(t) else { continue }
                line(px, r.top, px, r.bottom, stroke: "#e6e6e6")
                text(x.label(t), x: px, y: r.bottom + 15, size: 10.5, anchor: .middle, fill: "#555555")
            }
        }
        if let y {
            for t in y.ticks {
                guard let py = y.map(t) else { continue }
                line(r.left, py, r.right, py, stroke: "#e6e6e6")
                text(y.label(t), x: r.left - 6, y: py + 3.5, size: 10.5, anchor: .end, fill: "#555555")
            }
        }
        line(r.left, r.top, r.left, r.bottom, stroke: "#888888")
        line(r.left, r.bottom, r.right, r.bottom, stroke: "#888888")
        text(xTitle, x: r.left + r.width / 2, y: r.bottom + 34, size: 11.5, anchor: .middle, fill: "#333333")
        let yw = y?.labelWidth(size: 10.5) ?? 0
        text(yTitle, x: r.left - yw - 16, y: r.top + r.height / 2, size: 11.5, anchor: .middle, fill: "#333333", rotate: -90)
    }
}
