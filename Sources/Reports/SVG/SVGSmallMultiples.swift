// Small multiples: a grid of small line plots, one panel per group (a layer), each with its own
// y axis (log where the panel asks for it) and the same x axis kind, one line per series (a
// variant) in the series' own colour (Palette.color(series index), as in every other figure of a
// report). One legend of series names, shared by all panels, runs under the heading. Lines that
// coincide in a panel (Coincidence, half a pixel) are named under that panel. Missing points
// (NaN, or not positive on a log axis) break the line.

import Core
import Foundation

public struct SVGSmallMultiples {
    public struct Line {
        public var series: Int               // index into seriesNames: colour and legend entry
        public var x: [Double]
        public var y: [Double]               // NaN where a point is missing
        public init(series: Int, x: [Double], y: [Double]) { self.series = series; self.x = x; self.y = y }
    }

    public struct Panel {
        public var title: String
        public var lines: [Line]
        public var logY: Bool
        public init(title: String, lines: [Line], logY: Bool = false) { self.title = title; self.lines = lines; self.logY = logY }
    }

    public var title: String
    public var subtitle: String?
    public var seriesNames: [String]
    public var panels: [Panel] = []
    public var columns = 3
    public var integerX = true
    public var panelWidth = 220.0
    public var panelHeight = 120.0

    static let tickSize = 10.0, titleSize = 11.5, legendSize = 11.0, noteSize = 10.0
    static let gap = 26.0, noteLine = 13.0, legendRow = 18.0

    public init(title: String, seriesNames: [String]) {
        self.title = title
        self.seriesNames = seriesNames
    }

    public var hasData: Bool { panels.contains { p in p.lines.contains { l in l.y.contains { $0.isFinite && (!p.logY || $0 > 0) } } } }

    public func render() -> String {
        let allX = panels.flatMap { $0.lines.flatMap(\.x) }
        let yScales = panels.map { p in AxisScale(values: p.lines.flatMap(\.y), log: p.logY, target: 4) }
        let yLabelRoom = (yScales.map { $0.labelWidth(size: Self.tickSize) }.max() ?? 0) + 8
        let cellWidth = yLabelRoom + panelWidth + Self.gap
        let columns = max(1, min(columns, panels.count))
        let contentWidth = Double(columns) * cellWidth

        // The shared legend: swatch, dot and name per series, wrapped into rows of contentWidth.
        var legend: [(x: Double, row: Int)] = []
        var lx = 0.0, row = 0
        for name in seriesNames {
            let w = 30 + textWidth(name, size: Self.legendSize) + 18
            if lx > 0, lx + w > contentWidth { lx = 0; row += 1 }
            legend.append((lx, row)); lx += w
        }
        let top = (subtitle == nil ? 36.0 : 50.0)
        let gridTop = top + Double(row + 1) * Self.legendRow + 12

        // Per panel: its x/y scales in pixels and the notes under it; rows as tall as their notes.
        var notes: [[String]] = []
        var rects: [PlotRect] = [], xScales: [AxisScale] = [], ys: [AxisScale] = []
        var rowTop = gridTop
        var k = 0
        while k < panels.count {
            let rowPanels = k..<min(k + columns, panels.count)
            var rowNotes = 0
            for i in rowPanels {
                let left = 10 + Double(i - k) * cellWidth + yLabelRoom
                let r = PlotRect(left: left, top: rowTop + 20, width: panelWidth, height: panelHeight)
                var xs = AxisScale(values: allX, integers: integerX, target: 5, snap: false)
                var y = yScales[i]
                xs.pixels = (r.left, r.right); y.pixels = (r.bottom, r.top)
                let groups = Coincidence.groups(x: panels[i].lines.map(\.x), y: panels[i].lines.map { $0.y.map { y.map($0) } })
                let text = groups.map { Coincidence.sentence($0.map { name(of: panels[i].lines[$0].series) }) }
                notes.append(text.flatMap { TextMetrics.wrap($0, size: Self.noteSize, width: panelWidth) })
                rowNotes = max(rowNotes, notes[i].count)
                rects.append(r); xScales.append(xs); ys.append(y)
            }
            rowTop += 20 + panelHeight + 24 + Double(rowNotes) * Self.noteLine + 12
            k += columns
        }

        let legendRight = zip(seriesNames, legend).map { 10 + $1.x + 30 + textWidth($0, size: Self.legendSize) }.max() ?? 0
        var svg = SVGWriter(width: max(10 + contentWidth, legendRight + 10), height: rowTop, title: title, subtitle: subtitle)
        for (i, name) in seriesNames.enumerated() {
            let x = 10 + legend[i].x, y = top + 4 + Double(legend[i].row) * Self.legendRow
            svg.line(x, y, x + 22, y, stroke: Palette.color(i), width: 2.5)
            svg.circle(x: x + 11, y: y, r: 3, fill: Palette.color(i))
            svg.text(name, x: x + 30, y: y + 4, size: Self.legendSize, fill: "#333333")
        }
        for (i, panel) in panels.enumerated() {
            draw(panel, in: rects[i], x: xScales[i], y: ys[i], notes: notes[i], on: &svg)
        }
        return svg.render()
    }

    /// The legend name of series `k` ("series k" for an index seriesNames does not cover).
    private func name(of k: Int) -> String { seriesNames.indices.contains(k) ? seriesNames[k] : "series \(k)" }

    private func draw(_ panel: Panel, in r: PlotRect, x: AxisScale, y: AxisScale, notes: [String], on svg: inout SVGWriter) {
        svg.text(panel.title + (panel.logY ? " (log scale)" : ""), x: r.left, y: r.top - 7, size: Self.titleSize,
                 fill: "#222222", bold: true)
        // Label every k-th y tick so labels stay at least 15 px apart.
        let pitch = y.ticks.count > 1 ? r.height / Double(y.ticks.count - 1) : r.height
        let every = max(1, Int((15 / pitch).rounded(.up)))
        for (n, t) in y.ticks.enumerated() {
            guard let py = y.map(t) else { continue }
            svg.line(r.left, py, r.right, py, stroke: "#ececec")
            if n % every == 0 {
                svg.text(y.label(t), x: r.left - 5, y: py + 3.5, size: Self.tickSize, anchor: .end, fill: "#555555")
            }
        }
        for t in x.ticks {
            guard let px = x.map(t) else { continue }
            svg.line(px, r.top, px, r.bottom, stroke: "#ececec")
            svg.text(x.label(t), x: px, y: r.bottom + 13, size: Self.tickSize, anchor: .middle, fill: "#555555")
        }
        svg.line(r.left, r.top, r.left, r.bottom, stroke: "#888888")
        svg.line(r.left, r.bottom, r.right, r.bottom, stroke: "#888888")
        for line in panel.lines {
            var run: [(Double, Double)] = []
            for (vx, vy) in zip(line.x, line.y) {
                if let px = x.map(vx), let py = y.map(vy) {
                    run.append((px, py))
                } else {
                    svg.polyline(run, stroke: Palette.color(line.series), width: 1.8); run = []
                }
            }
            svg.polyline(run, stroke: Palette.color(line.series), width: 1.8)
        }
        for line in panel.lines {
            for (vx, vy) in zip(line.x, line.y) {
                guard let px = x.map(vx), let py = y.map(vy) else { continue }
                svg.circle(x: px, y: py, r: 2.6, fill: Palette.color(line.series))
            }
        }
        for (i, note) in notes.enumerated() {
            svg.text(note, x: r.left, y: r.bottom + 30 + Double(i) * Self.noteLine, size: Self.noteSize, fill: "#9a3412")
        }
    }
}
