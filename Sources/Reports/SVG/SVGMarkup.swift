// The SVG text layer every chart shares: XML escaping, compact number formatting and a small
// writer that collects elements and renders one standalone <svg> (xmlns, width/height, viewBox,
// <title>). No ids, no scripts, no external references: documents can be inlined side by side.

import Core
import Foundation

public enum XMLText {
    /// `s` safe as XML character data or a double-quoted attribute value. Characters XML 1.0
    /// forbids (C0 controls other than tab/newline/return) are dropped.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            default:
                if u.value >= 0x20, u.value != 0xFFFE, u.value != 0xFFFF { out.unicodeScalars.append(u) }
            }
        }
        return out
    }
}

/// A coordinate or length with at most two decimals and no trailing zeros ("12", "3.5", "0.25").
func svgNumber(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    if r == r.rounded(), abs(r) < 1e12 { return String(Int(r)) }
    var s = String(format: "%.2f", r)
    while s.hasSuffix("0") { s.removeLast() }
    return s
}

/// Collects SVG elements in paint order and renders the standalone document.
struct SVGWriter {
    let width: Double
    let height: Double
    let title: String
    private(set) var elements: [String] = []

    /// A document of at least `width` x `height` px, widened so the heading fits, with `title`
    /// (and `subtitle`, when given) drawn at the top left.
    init(width: Double, height: Double, title: String, subtitle: String? = nil) {
        let headingWidth = max(TextMetrics.width(title, size: 14, bold: true), textWidth(subtitle ?? "", size: 10.5)) + 20
        self.width = max(width, headingWidth).rounded(.up)
        self.height = height.rounded(.up)
        self.title = title
        text(title, x: 10, y: 22, size: 14, fill: "#222222", bold: true)
        if let subtitle { text(subtitle, x: 10, y: 38, size: 10.5, fill: "#777777") }
    }

    mutating func raw(_ element: String) { elements.append(element) }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                       stroke: String? = nil, opacity: Double? = nil) {
        var e = "<rect x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" fill=\"\(fill)\""
        if let stroke { e += " stroke=\"\(stroke)\"" }
        if let opacity { e += " fill-opacity=\"\(svgNumber(opacity))\"" }
        elements.append(e + "/>")
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String,
                       width: Double = 1, dash: String? = nil) {
        var e = "<line x1=\"\(svgNumber(x1))\" y1=\"\(svgNumber(y1))\" x2=\"\(svgNumber(x2))\" y2=\"\(svgNumber(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(svgNumber(width))\""
        if let dash { e += " stroke-dasharray=\"\(dash)\"" }
        elements.append(e + "/>")
    }

    /// An open polyline through `points` (already in pixels), drawn as one <path>.
    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double,
                           opacity: Double = 1, dash: String? = nil) {
        guard points.count > 1 else { return }
        var d = "M" + svgNumber(points[0].0) + " " + svgNumber(points[0].1)
        for p in points.dropFirst() { d += "L" + svgNumber(p.0) + " " + svgNumber(p.1) }
        var e = "<path d=\"\(d)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(svgNumber(width))\" stroke-linejoin=\"round\" stroke-linecap=\"round\""
        if opacity < 1 { e += " stroke-opacity=\"\(svgNumber(opacity))\"" }
        if let dash { e += " stroke-dasharray=\"\(dash)\"" }
        elements.append(e + "/>")
    }

    mutating func circle(x: Double, y: Double, r: Double, fill: String, stroke: String = "#ffffff") {
        elements.append("<circle cx=\"\(svgNumber(x))\" cy=\"\(svgNumber(y))\" r=\"\(svgNumber(r))\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"1\"/>")
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ s: String, x: Double, y: Double, size: Double = 11, anchor: Anchor = .start,
                       fill: String = "#333333", bold: Bool = false, rotate: Double? = nil) {
        var e = "<text x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" font-size=\"\(svgNumber(size))\" fill=\"\(fill)\""
        if anchor != .start { e += " text-anchor=\"\(anchor.rawValue)\"" }
        if bold { e += " font-weight=\"bold\"" }
        if let rotate { e += " transform=\"rotate(\(svgNumber(rotate)) \(svgNumber(x)) \(svgNumber(y)))\"" }
        elements.append(e + ">" + XMLText.escape(s) + "</text>")
    }

    /// The standalone document: white background, the title both as <title> and drawn on top.
    func render() -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" viewBox=\"0 0 \(svgNumber(width)) \(svgNumber(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        out += "<title>" + XMLText.escape(title) + "</title>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" fill=\"#ffffff\"/>\n"
        for e in elements { out += e + "\n" }
        return out + "</svg>\n"
    }
}
