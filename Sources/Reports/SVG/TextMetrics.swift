// The one text-width estimate of every SVG chart: advance widths of DejaVu Sans (Book and Bold),
// the first font of the charts' font-family list, read from DejaVuSans.ttf / DejaVuSans-Bold.ttf
// (hmtx, 2048 units per em) for printable ASCII. Helvetica and Arial, the fallbacks, are narrower,
// so layouts sized with these widths fit in either. Characters outside ASCII count as 1716 units
// (arrows, ≈, ×), or a full em for CJK and wider. The layout code and the overlap test in
// ReportsTests both use these numbers, so what one places the other checks.

import Foundation

public enum TextMetrics {
    /// Font ascent and descent as a fraction of the font size (hhea: 1901 and 483 of 2048).
    public static let ascent = 1901.0 / 2048
    public static let descent = 483.0 / 2048

    /// Advance widths of " " (32) through "~" (126), in 1/2048 em.
    static let book: [UInt16] = [
        651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690,
        1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716, 1087,
        2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767, 1532, 1612,
        1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799, 690, 799, 1716, 1024,
        1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995, 1298, 1253,
        1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303, 1716,
    ]
    static let bold: [UInt16] = [
        713, 934, 1067, 1716, 1425, 2052, 1786, 627, 936, 936, 1071, 1716, 778, 850, 778, 748,
        1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 819, 819, 1716, 1716, 1716, 1188,
        2048, 1585, 1561, 1503, 1700, 1399, 1399, 1681, 1714, 762, 762, 1587, 1305, 2038, 1714, 1741,
        1501, 1741, 1577, 1475, 1397, 1663, 1585, 2259, 1579, 1483, 1485, 936, 748, 936, 1716, 1024,
        1024, 1382, 1466, 1214, 1466, 1389, 891, 1466, 1458, 702, 702, 1362, 702, 2134, 1458, 1407,
        1466, 1466, 1010, 1219, 979, 1458, 1335, 1892, 1321, 1335, 1192, 1458, 748, 1458, 1716,
    ]

    /// Rendered width of `text` at `size` px.
    public static func width(_ text: String, size: Double, bold: Bool = false) -> Double {
        let table = bold ? Self.bold : book
        var units = 0
        for u in text.unicodeScalars {
            switch u.value {
            case 32...126: units += Int(table[Int(u.value) - 32])
            case 0..<32: break
            case 0x2E80...: units += 2048
            default: units += 1716
            }
        }
        return Double(units) / 2048 * size
    }

    /// `text` broken at spaces into lines no wider than `width` px at `size`; a word wider than
    /// that is cut into the longest pieces that fit (at least one character each).
    public static func wrap(_ text: String, size: Double, width: Double, bold: Bool = false) -> [String] {
        func fits(_ s: String) -> Bool { Self.width(s, size: size, bold: bold) <= width }
        var lines: [String] = [], current = ""
        for var word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            let candidate = current.isEmpty ? word : current + " " + word
            if fits(candidate) { current = candidate; continue }
            if !current.isEmpty { lines.append(current); current = "" }
            while !fits(word) {
                var cut = 1
                while cut < word.count, fits(String(word.prefix(cut + 1))) { cut += 1 }
                lines.append(String(word.prefix(cut)))
                word = String(word.dropFirst(cut))
            }
            current = word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}

/// Width of `text` at `size` px (TextMetrics, Book weight): the layout code's shorthand.
func textWidth(_ text: String, size: Double) -> Double {
    TextMetrics.width(text, size: size)
}
