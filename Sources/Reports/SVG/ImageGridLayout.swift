// Where SVGImageGrid puts each image and its caption. Every cell is a column of the same pitch:
// the image (its longer side `cell` px) above its caption, the caption wrapped at spaces and dots
// into lines no wider than the column's text width, a word longer than that cut into pieces that
// fit. The column's text width is the cell, widened up to `maxCaptionWidth` for the widest
// caption, so captions never reach into a neighbour: every caption box lies inside its own column,
// and rows are as tall as their tallest caption. Widths are TextMetrics's (DejaVu Sans advances),
// the estimate every chart uses.

import Foundation

/// An axis-aligned box in SVG pixels.
public struct GridBox: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    /// True when the two boxes share interior area (touching edges do not count).
    public func intersects(_ other: GridBox) -> Bool {
        x < other.x + other.width && other.x < x + width && y < other.y + other.height && other.y < y + height
    }
}

public struct ImageGridLayout: Sendable {
    public static let captionSize = 10.0
    public static let lineHeight = 12.0
    public static let maxCaptionWidth = 150.0
    public static let gap = 10.0                          // between columns and between rows
    public static let stripHeight = 12.0

    /// Per image: the drawn image's box, the caption's lines and the box they fill (nil: no caption).
    public var imageBoxes: [GridBox] = []
    public var captionLines: [[String]] = []
    public var captionBoxes: [GridBox?] = []
    /// Horizontal distance between columns, and the grid's lower edge.
    public var columnPitch: Double
    public var bottom: Double

    /// Lays out `sizes` (width, height of each image) in `columns` columns starting at (left, top).
    public init(sizes: [(width: Int, height: Int)], captions: [String], columns: Int, cell: Double, left: Double, top: Double) {
        let columns = max(1, columns)
        let widest = captions.map { Self.width(of: $0) }.max() ?? 0
        let textWidth = max(cell, min(widest, Self.maxCaptionWidth))
        columnPitch = textWidth + Self.gap
        let wrapped = sizes.indices.map { k in k < captions.count ? Self.wrap(captions[k], width: textWidth) : [] }
        var y = top
        var k = 0
        while k < sizes.count {
            let row = k..<min(k + columns, sizes.count)
            let lines = row.map { wrapped[$0].count }.max() ?? 0
            for i in row {
                let columnLeft = left + Double(i - row.lowerBound) * columnPitch
                let (w, h) = sizes[i]
                let s = cell / Double(max(w, h, 1))
                // a 1-pixel-high strip (a linear layer's values) is drawn at least stripHeight high
                let drawnHeight = h == 1 ? max(s, min(cell, Self.stripHeight)) : Double(h) * s
                let box = GridBox(x: columnLeft + (textWidth - Double(w) * s) / 2, y: y, width: Double(w) * s, height: drawnHeight)
                imageBoxes.append(box)
                captionLines.append(wrapped[i])
                if wrapped[i].isEmpty {
                    captionBoxes.append(nil)
                } else {
                    let lineWidth = wrapped[i].map { Self.width(of: $0) }.max() ?? 0
                    captionBoxes.append(GridBox(x: columnLeft + (textWidth - lineWidth) / 2, y: y + cell + 2,
                                                width: lineWidth, height: Double(wrapped[i].count) * Self.lineHeight))
                }
            }
            y += cell + 2 + Double(lines) * Self.lineHeight + Self.gap
            k = row.upperBound
        }
        bottom = y
    }

    /// Rendered width of one caption line (TextMetrics at captionSize).
    public static func width(of text: String) -> Double {
        TextMetrics.width(text, size: captionSize)
    }

    /// `text` in lines no wider than `width`: broken after spaces and dots, an over-long piece cut
    /// into the longest prefixes that fit (at least one character each).
    public static func wrap(_ text: String, width: Double) -> [String] {
        var pieces: [String] = [], piece = ""
        for ch in text {
            piece.append(ch)
            if ch == " " || ch == "." { pieces.append(piece); piece = "" }
        }
        if !piece.isEmpty { pieces.append(piece) }
        var lines: [String] = [], line = ""
        func fits(_ s: String) -> Bool { Self.width(of: s.trimmingCharacters(in: .whitespaces)) <= width }
        for var p in pieces {
            if !line.isEmpty, !fits(line + p) {
                lines.append(line.trimmingCharacters(in: .whitespaces)); line = ""
            }
            while !fits(p) {
                var cut = 1
                while cut < p.count, fits(String(p.prefix(cut + 1))) { cut += 1 }
                lines.append(String(p.prefix(cut))); p = String(p.dropFirst(cut))
            }
            line += p
        }
        let last = line.trimmingCharacters(in: .whitespaces)
        if !last.isEmpty { lines.append(last) }
        return lines
    }
}
