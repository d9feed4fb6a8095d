// Axis scales (linear or log10, domain snapped to nice ticks) and the frame every x/y chart
// draws: grid lines, tick labels, axis lines and axis titles around a plot rectangle.

import Foundation

struct AxisScale {
    let ticks: [Double]
    let isLog: Bool
    private let lo: Double, hi: Double      // domain, in log10 units when isLog
    var pixels: (Double, Double) = (0, 1)   // where lo and hi land

    /// A scale covering the finite (and, for log, positive) `values`.
    init(values: [Double], log: Bool = false, integers: Bool = false, target: Int = 6, includeZero: Bool = false) {
        var usable = values.filter { $0.isFinite && (!log || $0 > 0) }
        if includeZero, !log { usable.append(0) }
        isLog = log
        if log {
            ticks = NiceTicks.log(lo: usable.min() ?? 1, hi: usable.max() ?? 10)
            lo = log10(ticks.first!); hi = log10(ticks.last!)
        } else {
            ticks = NiceTicks.linear(lo: usable.min() ?? 0, hi: usable.max() ?? 1, target: target, integers: integers)
            lo = ticks.first!; hi = ticks.last!
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
    /// Title (and an optional grey subtitle) at the top left.
    mutating func heading(_ title: String, subtitle: String?, left: Double) {
        text(title, x: left, y: 22, size: 14, fill: "#222222", bold: true)
        if let subtitle { text(subtitle, x: left, y: 38, size: 10.5, fill: "#777777") }
    }

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
