// A horizontal bar chart: one bar per label (variant names read left of their bars), a value axis
// from zero with nice ticks, the total printed at each bar's end. Bars may be stacked from named
// segments (compute / communication / data time), with a legend for the segments.

import Core
import Foundation

public struct SVGBarChart {
    public struct Bar {
        public var label: String
        public var segments: [Double]
    }

    public var title: String
    public var subtitle: String?
    public var valueLabel: String
    public var segmentNames: [String] = []
    public var decimals = 0                  // of the totals printed at the bars' ends
    public var plotWidth = 460.0
    public private(set) var bars: [Bar] = []

    public init(title: String, valueLabel: String) {
        self.title = title
        self.valueLabel = valueLabel
    }

    public mutating func addBar(_ label: String, _ value: Double) { bars.append(Bar(label: label, segments: [value])) }

    /// A stacked bar: `segments[i]` belongs to `segmentNames[i]`. Missing values count as zero.
    public mutating func addBar(_ label: String, segments: [Double]) { bars.append(Bar(label: label, segments: segments)) }

    public func render() -> String {
        let totals = bars.map { $0.segments.filter(\.isFinite).reduce(0, +) }
        var scale = AxisScale(values: totals, includeZero: true)
        let labelWidth = (bars.map { textWidth($0.label, size: 11) }.max() ?? 0) + 14
        let legendRows = segmentNames.count > 1 ? 18.0 : 0
        let top = (subtitle == nil ? 36.0 : 50.0) + legendRows
        let rowHeight = 28.0
        let r = PlotRect(left: max(labelWidth, 40) + 10, top: top, width: plotWidth,
                         height: max(Double(bars.count), 1) * rowHeight + 8)
        scale.pixels = (r.left, r.right)
        let valueRoom = 12 + (totals.map { textWidth(format($0), size: 10.5) }.max() ?? 0)

        var svg = SVGWriter(width: r.right + valueRoom + 10, height: r.bottom + 46, title: title, subtitle: subtitle)
        if segmentNames.count > 1 {
            var x = r.left
            for (i, name) in segmentNames.enumerated() {
                svg.rect(x: x, y: top - 20, width: 11, height: 11, fill: Palette.phase(i))
                svg.text(name, x: x + 15, y: top - 10.5, size: 11)
                x += 30 + textWidth(name, size: 11)
            }
        }
        svg.frame(r, x: scale, y: nil, xTitle: valueLabel, yTitle: "")
        for (i, bar) in bars.enumerated() {
            let y = r.top + 4 + Double(i) * rowHeight
            var start = 0.0
            for (k, v) in bar.segments.enumerated() where v.isFinite && v > 0 {
                guard let x0 = scale.map(start), let x1 = scale.map(start + v) else { continue }
                let colour = bar.segments.count > 1 ? Palette.phase(k) : Palette.color(i)   // parts: phase colours; a whole bar: its variant's
                svg.rect(x: x0, y: y + 3, width: max(x1 - x0, 0.5), height: rowHeight - 8, fill: colour)
                start += v
            }
            svg.text(bar.label, x: r.left - 8, y: y + rowHeight / 2 + 2, size: 11, anchor: .end)
            let end = scale.map(totals[i]) ?? r.left
            svg.text(format(totals[i]), x: end + 5, y: y + rowHeight / 2 + 2, size: 10.5, fill: "#444444")
        }
        return svg.render()
    }

    private func format(_ v: Double) -> String { String(format: "%.\(decimals)f", v) }
}
