// A line plot: named series on shared axes with a legend, nice ticks, optional log-y, markers for
// per-epoch series, and a smoothed mode for per-step loss (raw series faint, EMA bold). Missing
// points (nil, NaN, or not positive on log-y) are skipped: the line breaks around them. Lines that
// coincide within half a pixel (Coincidence) are named under the x-axis title, so a line hidden
// under another is still reported.

import Core
import Foundation

public struct SVGPlot {
    public struct Series {
        public var name: String
        public var x: [Double]
        public var y: [Double]               // NaN where a point is missing
        public var color: String
        public var dash: String?
        public var markers: Bool
        public var smoothing: Double?        // EMA weight: draw raw faint and smoothed bold
    }

    public var title: String
    public var subtitle: String?
    public var xLabel: String
    public var yLabel: String
    public var logY = false
    public var integerX = false              // ticks at whole numbers only (epochs)
    public var plotWidth = 560.0
    public var plotHeight = 300.0
    public private(set) var series: [Series] = []

    /// Points drawn per raw series at most (min/max decimation keeps the envelope).
    static let maxRawPoints = 1200

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// Adds a line; `markers` puts a dot on every point (use for per-epoch series). Colours
    /// default to the palette in the order series are added.
    public mutating func addLine(_ name: String, x: [Double], y: [Double?], markers: Bool = false,
                                 color: String? = nil, dash: String? = nil) {
        series.append(Series(name: name, x: x, y: y.map { $0 ?? .nan }, color: color ?? Palette.color(series.count),
                             dash: dash, markers: markers, smoothing: nil))
    }

    /// Adds a noisy series drawn twice: raw with low opacity, and its EMA (`weight` on the past).
    public mutating func addSmoothed(_ name: String, x: [Double], y: [Double?], weight: Double,
                                     color: String? = nil, dash: String? = nil) {
        series.append(Series(name: name, x: x, y: y.map { $0 ?? .nan }, color: color ?? Palette.color(series.count),
                             dash: dash, markers: false, smoothing: weight))
    }

    /// True when some series has a point that can be drawn.
    public var hasData: Bool {
        series.contains { s in zip(s.x, s.y).contains { $0.0.isFinite && $0.1.isFinite && (!logY || $0.1 > 0) } }
    }

    /// The standalone SVG document.
    public func render() -> String {
        var xScale = AxisScale(values: series.flatMap(\.x), integers: integerX, snap: false)
        var yScale = AxisScale(values: series.flatMap(axisValues), log: logY)

        let top = subtitle == nil ? 36.0 : 50.0
        let left = 30 + yScale.labelWidth(size: 10.5)
        let r = PlotRect(left: left, top: top, width: plotWidth, height: plotHeight)
        xScale.pixels = (r.left, r.right)
        yScale.pixels = (r.bottom, r.top)

        let legendX = r.right + 18
        let legendWidth = 34 + (series.map { textWidth($0.name, size: 11) }.max() ?? 0)
        let legendHeight = Double(series.count) * 17
        let notes = coincidenceNotes(xScale, yScale).flatMap { TextMetrics.wrap($0, size: Self.noteSize, width: r.width) }
        let notesTop = r.bottom + 54
        var svg = SVGWriter(width: legendX + legendWidth + 8,
                            height: max(notesTop + Double(notes.count) * 14 - 6, r.top + legendHeight + 8),
                            title: title, subtitle: subtitle)
        svg.frame(r, x: xScale, y: yScale, xTitle: xLabel, yTitle: yLabel)
        for (i, line) in notes.enumerated() {
            svg.text(line, x: r.left, y: notesTop + Double(i) * 14, size: Self.noteSize, fill: "#9a3412")
        }
        if !hasData {
            svg.text("no data", x: r.left + r.width / 2, y: r.top + r.height / 2, size: 13, anchor: .middle, fill: "#999999")
        }

        // Paint order: every raw faint series under every line, markers on top.
        // Raw points may lie beyond the axis (see axisValues): a nested viewport clips them.
        if series.contains(where: { $0.smoothing != nil }) {
            svg.raw("<svg x=\"\(svgNumber(r.left))\" y=\"\(svgNumber(r.top))\" width=\"\(svgNumber(r.width))\" height=\"\(svgNumber(r.height))\" viewBox=\"\(svgNumber(r.left)) \(svgNumber(r.top)) \(svgNumber(r.width)) \(svgNumber(r.height))\" overflow=\"hidden\">")
            for s in series where s.smoothing != nil {
                let raw = Smoothing.decimate(x: s.x, y: s.y, maxPoints: Self.maxRawPoints)
                for run in segments(x: raw.x, y: raw.y, xScale, yScale) {
                    svg.polyline(run, stroke: s.color, width: 1, opacity: 0.18)
                }
            }
            svg.raw("</svg>")
        }
        for s in series {
            let y = s.smoothing.map { Smoothing.ema(s.y, weight: $0) } ?? s.y
            let drawn = Smoothing.decimate(x: s.x, y: y, maxPoints: Self.maxRawPoints * 2)
            for run in segments(x: drawn.x, y: drawn.y, xScale, yScale) {
                svg.polyline(run, stroke: s.color, width: s.smoothing == nil ? 1.8 : 2, dash: s.dash)
            }
        }
        for s in series where s.markers {
            for (x, y) in zip(s.x, s.y) {
                guard let px = xScale.map(x), let py = yScale.map(y) else { continue }
                svg.circle(x: px, y: py, r: 3.2, fill: s.color)
            }
        }

        for (i, s) in series.enumerated() {
            let y = r.top + 8 + Double(i) * 17
            svg.line(legendX, y, legendX + 22, y, stroke: s.color, width: 2.5, dash: s.dash)
            if s.markers { svg.circle(x: legendX + 11, y: y, r: 3.2, fill: s.color) }
            svg.text(s.name, x: legendX + 28, y: y + 4, size: 11, fill: "#333333")
        }
        return svg.render()
    }

    static let noteSize = 10.5

    /// One sentence per group of lines drawn on top of each other (see Coincidence), naming them
    /// in legend order; the lines compared are the ones drawn bold (a smoothed series' EMA).
    func coincidenceNotes(_ xs: AxisScale, _ ys: AxisScale) -> [String] {
        let drawn = series.map { s in s.smoothing.map { Smoothing.ema(s.y, weight: $0) } ?? s.y }
        let groups = Coincidence.groups(x: series.map(\.x), y: drawn.map { $0.map { ys.map($0) } })
        return groups.map { Coincidence.sentence($0.map { series[$0].name }) }
    }

    /// The values the y axis must cover: every point of a plain series; of a smoothed one, its
    /// EMA and the raw points above the raw 5th percentile — so a few near-zero batch losses do
    /// not stretch a log axis over decades of empty space.
    private func axisValues(_ s: Series) -> [Double] {
        let y = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite && (!logY || $0.1 > 0) }.map(\.1)
        guard let w = s.smoothing, !y.isEmpty else { return y }
        let floor = y.sorted()[y.count / 20]
        return Smoothing.ema(s.y, weight: w) + y.filter { $0 >= floor }
    }

    /// The drawable points in pixels, split into runs wherever a point is missing.
    private func segments(x: [Double], y: [Double], _ xs: AxisScale, _ ys: AxisScale) -> [[(Double, Double)]] {
        var runs: [[(Double, Double)]] = [], current: [(Double, Double)] = []
        for (vx, vy) in zip(x, y) {
            if let px = xs.map(vx), let py = ys.map(vy) {
                current.append((px, py))
            } else if !current.isEmpty {
                runs.append(current); current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }
}
