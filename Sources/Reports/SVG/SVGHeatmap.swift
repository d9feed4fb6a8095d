// A heatmap for a confusion matrix: rows are true labels, columns predicted labels, every cell
// shows its count. The diagonal (correct) and off-diagonal (confusions) have separate colour
// scales, blue and orange, each from white at zero to full at its own maximum, so that a few
// dozen confusions stay visible next to thousands of correct answers. Keys below the grid.

import Core
import Foundation

public struct SVGHeatmap {
    public var title: String
    public var subtitle: String?
    public var matrix: [[Double]]
    public var rowLabels: [String]
    public var columnLabels: [String]
    public var rowTitle = "true label"
    public var columnTitle = "predicted label"
    public var cell = 38.0

    public init(title: String, matrix: [[Double]], rowLabels: [String], columnLabels: [String]) {
        self.title = title
        self.matrix = matrix
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
    }

    public func render() -> String {
        let rows = matrix.count, cols = matrix.map(\.count).max() ?? 0
        var diagMax = 0.0, offMax = 0.0
        for (i, row) in matrix.enumerated() {
            for (j, v) in row.enumerated() where v.isFinite {
                if i == j { diagMax = max(diagMax, v) } else { offMax = max(offMax, v) }
            }
        }
        let rowLabelWidth = (rowLabels.map { textWidth($0, size: 11) }.max() ?? 0) + 8
        let top = (subtitle == nil ? 36.0 : 50.0) + 22
        let left = 28 + rowLabelWidth
        let gridW = Double(cols) * cell, gridH = Double(rows) * cell
        let keyTop = top + gridH + 40
        var svg = SVGWriter(width: max(left + gridW + 16, 430), height: keyTop + 44, title: title, subtitle: subtitle)
        svg.text(columnTitle, x: left + gridW / 2, y: top - 20, size: 11.5, anchor: .middle)
        svg.text(rowTitle, x: 16, y: top + gridH / 2, size: 11.5, anchor: .middle, rotate: -90)

        let fontSize = min(11, cell / 3.4)
        for (i, row) in matrix.enumerated() {
            for (j, v) in row.enumerated() {
                let x = left + Double(j) * cell, y = top + Double(i) * cell
                let diagonal = i == j
                let t = v.isFinite ? v / max(diagonal ? diagMax : offMax, 1e-12) : 0
                let colour = Palette.ramp(t, to: diagonal ? Palette.blue : Palette.orange)
                svg.rect(x: x, y: y, width: cell, height: cell, fill: colour, stroke: "#ffffff")
                let label = v.isFinite ? count(v) : "–"
                svg.text(label, x: x + cell / 2, y: y + cell / 2 + fontSize * 0.36, size: fontSize, anchor: .middle,
                         fill: t > 0.55 ? "#ffffff" : "#222222")
            }
        }
        for (j, l) in columnLabels.prefix(cols).enumerated() {
            svg.text(l, x: left + (Double(j) + 0.5) * cell, y: top - 5, size: 11, anchor: .middle, fill: "#555555")
        }
        for (i, l) in rowLabels.prefix(rows).enumerated() {
            svg.text(l, x: left - 6, y: top + (Double(i) + 0.5) * cell + 4, size: 11, anchor: .end, fill: "#555555")
        }
        key(&svg, x: 10, y: keyTop, name: "correct (diagonal)", max: diagMax, to: Palette.blue)
        key(&svg, x: 220, y: keyTop, name: "confused (off-diagonal)", max: offMax, to: Palette.orange)
        return svg.render()
    }

    /// A stepped colour bar from 0 to `max` with its name above.
    private func key(_ svg: inout SVGWriter, x: Double, y: Double, name: String, max: Double, to: (Double, Double, Double)) {
        svg.text(name, x: x, y: y, size: 10.5, fill: "#555555")
        let steps = 10, w = 14.0
        for k in 0..<steps {
            svg.rect(x: x + Double(k) * w, y: y + 5, width: w, height: 10,
                     fill: Palette.ramp(Double(k) / Double(steps - 1), to: to))
        }
        svg.text("0", x: x, y: y + 28, size: 10, fill: "#555555")
        svg.text(count(max), x: x + Double(steps) * w, y: y + 28, size: 10, anchor: .end, fill: "#555555")
    }

    private func count(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%.2f", v)
    }
}
