// Reading order for digit boxes on a page that may be rotated (a row drifts up or down by
// tan(angle) * its length) or in mild perspective. The page's skew is the median direction from
// each digit to its nearest right-hand neighbour (within 30 degrees and 4 h, h the typical digit
// height). Digits are then chained left to right: each joins the row whose recent digits,
// extrapolated along the skew, predict its centre within 0.5 h (the closest such row), or starts
// a new row. Rows are sorted top to bottom by their mean height with the skew taken out.

import Foundation

enum RowOrdering {
    static let rowTolerance = 0.5
    static let neighbourAngle = 30.0 * Double.pi / 180, neighbourReach = 4.0
    /// How many of a row's last digits predict the next one.
    static let recentDigits = 3

    /// Indices of `boxes`, row by row (top to bottom), each row left to right.
    static func rows(of boxes: [PixelBox], digitHeight h: Double) -> [[Int]] {
        let slope = skewSlope(boxes, digitHeight: h)
        var rows: [[Int]] = []
        for i in boxes.indices.sorted(by: { boxes[$0].centreX < boxes[$1].centreX }) {
            let x = boxes[i].centreX, y = boxes[i].centreY
            var best: (row: Int, miss: Double)?
            for (r, row) in rows.enumerated() {
                let recent = row.suffix(recentDigits)
                let predicted = recent.reduce(0.0) { $0 + boxes[$1].centreY + slope * (x - boxes[$1].centreX) } / Double(recent.count)
                let miss = abs(y - predicted)
                if miss < rowTolerance * h && miss < (best?.miss ?? .infinity) { best = (r, miss) }
            }
            if let best { rows[best.row].append(i) } else { rows.append([i]) }
        }
        func level(_ row: [Int]) -> Double {
            row.reduce(0.0) { $0 + boxes[$1].centreY - slope * boxes[$1].centreX } / Double(row.count)
        }
        return rows.map { ($0, level($0)) }.sorted { $0.1 < $1.1 }.map(\.0)
    }

    /// dy/dx of the rows: the median over digits of the direction to the nearest neighbour on the right.
    static func skewSlope(_ boxes: [PixelBox], digitHeight h: Double) -> Double {
        var angles: [Double] = []
        // Sorted by centre x, a box's candidates are the ones after it within neighbourReach h
        // across: a sweep, not all pairs.
        let byCentre = boxes.sorted { $0.centreX < $1.centreX }
        for (k, a) in byCentre.enumerated() {
            var nearest: (distance: Double, angle: Double)?
            for b in byCentre[(k + 1)...] {
                let dx = b.centreX - a.centreX, dy = b.centreY - a.centreY
                guard dx <= neighbourReach * h else { break }
                guard dx > 0 else { continue }
                let angle = atan2(dy, dx), distance = (dx * dx + dy * dy).squareRoot()
                guard abs(angle) <= neighbourAngle, distance <= neighbourReach * h else { continue }
                if distance < (nearest?.distance ?? .infinity) { nearest = (distance, angle) }
            }
            if let nearest { angles.append(nearest.angle) }
        }
        guard !angles.isEmpty else { return 0 }
        angles.sort()
        return tan(angles[angles.count / 2])
    }
}
