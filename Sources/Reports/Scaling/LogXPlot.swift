// A line plot on a log2 x axis (world sizes 1 ... 1024, ticks at powers of two), linear or log y,
// built from the shared SVG writer and y axis: measured series with markers (hollow where a point is flagged, e.g.
// oversubscribed) beside dashed model lines. SVGPlot's x axis is linear, hence this one.

import Core
import Foundation

public struct LogXPlot {
    public struct Series {
        public var name: String
        public var x: [Double], y: [Double]
        public var color: String
        public var dash: String?
        public var markers: Bool
        public var hollow: Set<Int>           // indices drawn as hollow markers
    }

    public var title: String
    public var subtitle: String?
    public var xLabel: String, yLabel: String
    public var logY: Bool
    public var yIncludesZero = false
    public var plotWidth = 560.0, plotHeight = 320.0
    public private(set) var series: [Series] = []
    public var footnote: String?
    /// The x tick labels (default: the power of two itself).
    public var xTickLabel: (Double) -> String = { $0 >= 1 ? String(Int($0)) : String(format: "%g", $0) }

    public init(title: String, xLabel: String, yLabel: String, logY: Bool) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logY = logY
    }

    public mutating func add(_ name: String, x: [Double], y: [Double], color: String, dash: String? = nil,
                             markers: Bool = true, hollow: Set<Int> = []) {
        series.append(Series(name: name, x: x, y: y, color: color, dash: dash, markers: markers, hollow: hollow))
    }

    public func render() -> String {
        var xs = Log2Axis(values: series.flatMap(\.x))
        var ys = AxisScale(values: series.flatMap(\.y), log: logY, includeZero: yIncludesZero)
        let top = subtitle == nil ? 36.0 : 50.0
        let r = PlotRect(left: 30 + ys.labelWidth(size: 10.5), top: top, width: plotWidth, height: plotHeight)
        xs.pixels = (r.left, r.right)
        ys.pixels = (r.bottom, r.top)
        let legendX = r.right + 18
        let legendWidth = 34 + (series.map { textWidth($0.name, size: 11) }.max() ?? 0)
        let bottom = r.bottom + 46 + (footnote == nil ? 0 : 16)
        var svg = SVGWriter(width: legendX + legendWidth + 8, height: max(bottom, r.top + Double(series.count) * 17 + 8),
                            title: title, subtitle: subtitle)
        svg.frame(r, x: nil, y: ys, xTitle: xLabel, yTitle: yLabel)
        for t in xs.ticks {
            guard let px = xs.map(t) else { continue }
            svg.line(px, r.top, px, r.bottom, stroke: "#e6e6e6")
            // the leftmost label starts at the axis instead of centring on it, clear of the y axis's lowest label
            let atLeft = px - TextMetrics.width(xTickLabel(t), size: 10.5) / 2 < r.left - 4
            svg.text(xTickLabel(t), x: atLeft ? r.left - 2 : px, y: r.bottom + 15, size: 10.5, anchor: atLeft ? .start : .middle, fill: "#555555")
        }
        for s in series {
            var run: [(Double, Double)] = []
            for (x, y) in zip(s.x, s.y) {
                if let px = xs.map(x), let py = ys.map(y) { run.append((px, py)) } else { svg.polyline(run, stroke: s.color, width: 1.8, dash: s.dash); run = [] }
            }
            svg.polyline(run, stroke: s.color, width: 1.8, dash: s.dash)
        }
        for s in series where s.markers {
            for (i, (x, y)) in zip(s.x, s.y).enumerated() {
                guard let px = xs.map(x), let py = ys.map(y) else { continue }
                if s.hollow.contains(i) { svg.circle(x: px, y: py, r: 3.4, fill: "#ffffff", stroke: s.color) }
                else { svg.circle(x: px, y: py, r: 3.2, fill: s.color) }
            }
        }
        for (i, s) in series.enumerated() {
            let y = r.top + 8 + Double(i) * 17
            svg.line(legendX, y, legendX + 22, y, stroke: s.color, width: 2.5, dash: s.dash)
            if s.markers { svg.circle(x: legendX + 11, y: y, r: 3.2, fill: s.color) }
            svg.text(s.name, x: legendX + 28, y: y + 4, size: 11, fill: "#333333")
        }
        if let footnote { svg.text(footnote, x: r.left, y: r.bottom + 56, size: 10, fill: "#777777") }
        return svg.render()
    }
}

/// An x axis in log2 units from the smallest to the largest positive value, with a tick at every
/// power of two (every other one past 8 ticks).
private struct Log2Axis {
    let lo: Double, hi: Double
    let ticks: [Double]
    var pixels: (Double, Double) = (0, 1)

    init(values: [Double]) {
        let usable = values.filter { $0.isFinite && $0 > 0 }
        let a = (usable.min() ?? 1), b = (usable.max() ?? 2)
        lo = log2(a).rounded(.down)
        hi = max(log2(b).rounded(.up), lo + 1)
        let every = hi - lo > 8 ? 2.0 : 1.0
        ticks = stride(from: lo, through: hi, by: every).map { pow(2, $0) }
    }

    func map(_ v: Double) -> Double? {
        guard v.isFinite, v > 0 else { return nil }
        return pixels.0 + (log2(v) - lo) / (hi - lo) * (pixels.1 - pixels.0)
    }
}
