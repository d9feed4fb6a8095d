// A table of coloured cells: one row per series (a variant; row i carries Palette.color(i), the
// colour series i has in every figure of a report, in a swatch beside its name), one block of
// columns per quantity (a diagnostics metric), each column a group (a layer). Every cell prints its
// value; its shade runs from a faint blue at the block's smallest finite value to dark blue at its
// largest, on a log scale when the block asks for one, so a block's numbers are compared with each
// other only. Missing values are a grey "–".

import Core
import Foundation

public struct SVGValueGrid {
    public struct Block {
        public var title: String
        public var columns: [String]
        public var values: [[Double]]        // [row][column], NaN where missing
        public var logScale: Bool
        public var percent: Bool             // values are fractions printed as percentages
        public init(title: String, columns: [String], values: [[Double]], logScale: Bool = false, percent: Bool = false) {
            self.title = title; self.columns = columns; self.values = values; self.logScale = logScale; self.percent = percent
        }
    }

    public var title: String
    public var subtitle: String?
    public var rowLabels: [String]
    public var blocks: [Block] = []

    static let labelSize = 11.0, valueSize = 10.5, rowHeight = 22.0

    public init(title: String, rowLabels: [String]) {
        self.title = title
        self.rowLabels = rowLabels
    }

    public var hasData: Bool { blocks.contains { b in b.values.joined().contains(where: \.isFinite) } }

    /// A value as printed in a cell: a percentage with no decimals (one below 10%), or 3
    /// significant digits.
    static func format(_ v: Double, percent: Bool) -> String {
        guard v.isFinite else { return "–" }
        if percent { return String(format: abs(v) < 0.1 && v != 0 ? "%.1f%%" : "%.0f%%", 100 * v) }
        return String(format: "%.3g", v)
    }

    public func render() -> String {
        let labelWidth = (rowLabels.map { textWidth($0, size: Self.labelSize) }.max() ?? 0) + 22
        let left = 10 + labelWidth + 8
        var y = subtitle == nil ? 36.0 : 50.0
        var placed: [(block: Block, top: Double, cell: Double)] = []
        var right = left
        for b in blocks {
            let texts = b.values.joined().map { Self.format($0, percent: b.percent) }
            let cell = max(54, (texts.map { textWidth($0, size: Self.valueSize) }.max() ?? 0) + 12,
                           (b.columns.map { textWidth($0, size: Self.labelSize) }.max() ?? 0) + 10)
            placed.append((b, y, cell))
            right = max(right, left + Double(b.columns.count) * cell,
                        10 + TextMetrics.width(b.title, size: 11.5, bold: true) + 12 + textWidth(key(b), size: 10))
            y += 20 + 18 + Double(rowLabels.count) * Self.rowHeight + 18
        }
        var svg = SVGWriter(width: right + 12, height: y, title: title, subtitle: subtitle)
        for (b, top, cell) in placed {
            let titleWidth = TextMetrics.width(b.title, size: 11.5, bold: true)
            svg.text(b.title, x: 10, y: top + 12, size: 11.5, fill: "#222222", bold: true)
            svg.text(key(b), x: 10 + titleWidth + 12, y: top + 12, size: 10, fill: "#777777")
            let gridTop = top + 38
            for (j, c) in b.columns.enumerated() {
                svg.text(c, x: left + (Double(j) + 0.5) * cell, y: gridTop - 6, size: Self.labelSize, anchor: .middle, fill: "#555555")
            }
            let (lo, hi) = range(b)
            for (i, label) in rowLabels.enumerated() {
                let rowTop = gridTop + Double(i) * Self.rowHeight
                svg.rect(x: 10, y: rowTop + 6, width: 12, height: 10, fill: Palette.color(i))
                svg.text(label, x: 28, y: rowTop + 15, size: Self.labelSize, fill: "#333333")
                for j in b.columns.indices {
                    let v = i < b.values.count && j < b.values[i].count ? b.values[i][j] : .nan
                    let t = shade(v, lo: lo, hi: hi, log: b.logScale)
                    let x = left + Double(j) * cell
                    svg.rect(x: x, y: rowTop, width: cell, height: Self.rowHeight,
                             fill: v.isFinite ? Palette.ramp(0.08 + 0.92 * t, to: Palette.blue) : "#f2f2f2", stroke: "#ffffff")
                    svg.text(Self.format(v, percent: b.percent), x: x + cell / 2, y: rowTop + 15, size: Self.valueSize,
                             anchor: .middle, fill: t > 0.55 ? "#ffffff" : (v.isFinite ? "#222222" : "#999999"))
                }
            }
        }
        return svg.render()
    }

    /// The grey line beside a block's title saying what its shades mean.
    private func key(_ b: Block) -> String {
        let (lo, hi) = range(b)
        guard lo.isFinite, hi.isFinite else { return "no values" }
        return "light " + Self.format(lo, percent: b.percent) + " → dark " + Self.format(hi, percent: b.percent)
            + (b.logScale ? ", log scale" : "")
    }

    /// The block's smallest and largest shadable value (positive only on a log scale).
    private func range(_ b: Block) -> (Double, Double) {
        let v = b.values.joined().filter { $0.isFinite && (!b.logScale || $0 > 0) }
        return (v.min() ?? .nan, v.max() ?? .nan)
    }

    /// Where `v` lies between lo and hi, 0...1 (0 when it cannot be placed).
    private func shade(_ v: Double, lo: Double, hi: Double, log: Bool) -> Double {
        guard v.isFinite, lo.isFinite, hi > lo, !log || v > 0 else { return 0 }
        return log ? (log10(v) - log10(lo)) / (log10(hi) - log10(lo)) : (v - lo) / (hi - lo)
    }
}
