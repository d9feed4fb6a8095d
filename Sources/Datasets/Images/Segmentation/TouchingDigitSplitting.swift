// Cutting a blob that holds several touching digits. Only a blob too wide for one digit is tried:
// wider than `minimumWidthShare` times the page's typical digit width, `minimumAspect` times the
// typical digit height and `minimumOwnAspect` times its own height (in MNIST, width / height
// exceeds 1.15 for under 3% of digits). The typical width needs a page of several digits. The cut is the cheapest path
// from its top row to its bottom one, moving at most one column sideways per row and staying in
// the middle `searchedShare` of the box; its cost is the ink it crosses (dynamic programming over
// rows, a slight pull towards the middle breaking ties). Where two digits touch, the path slips
// between them and crosses only the contact; inside one digit it must usually cross two strokes
// (the top and bottom of a "0"). So the blob is cut when the path crosses at most
// `maximumCrossing` stroke widths (InkBlob.strokeWidth) and both sides keep at least
// `shortestPart` of its height (cutting the tail of a "2" off is not a split). Each side is tried
// again, so three touching digits become three. The thresholds were tuned on synthetic pages of
// MNIST test digits: geometry alone cannot tell a wide "0" from "00", and a stricter gate
// leaves more touching pairs whole while a looser one cuts more wide single digits.

enum TouchingDigitSplitting {
    static let minimumWidthShare = 1.4, minimumAspect = 1.15, minimumOwnAspect = 1.1
    static let searchedShare = 0.6
    static let maximumCrossing = 1.0
    static let shortestPart = 0.7

    static func split(_ blob: InkBlob, digitHeight h: Double, digitWidth w: Double) -> [InkBlob] {
        let box = blob.box, width = Double(box.width)
        guard width > minimumWidthShare * w, width > minimumAspect * h, width > minimumOwnAspect * Double(box.height),
              let (path, crossed) = cheapestPath(through: blob),
              Double(crossed) <= maximumCrossing * blob.strokeWidth() else { return [blob] }
        let parts = blob.split(along: path.map { box.x + $0 })
        guard let left = parts.left, let right = parts.right,
              Double(min(left.box.height, right.box.height)) >= shortestPart * Double(box.height) else { return [blob] }
        return split(left, digitHeight: h, digitWidth: w) + split(right, digitHeight: h, digitWidth: w)
    }

    /// The top-to-bottom path (one column per row, relative to the box) crossing the least ink,
    /// and the ink pixels it crosses; nil for a box too narrow to search.
    static func cheapestPath(through blob: InkBlob) -> (path: [Int], crossed: Int)? {
        let w = blob.box.width, h = blob.box.height
        let lo = Int(Double(w) * (1 - searchedShare) / 2), hi = w - 1 - lo
        guard hi - lo >= 2 else { return nil }
        let mask = blob.mask()
        let middle = Double(w - 1) / 2, pull = 0.5 / (Double(w) * Double(h))   // under 1 pixel over a whole path
        var cost = [Double](repeating: 0, count: w * h)     // (h, w): the cheapest path from the top to here
        var from = [Int](repeating: 0, count: w * h)        // (h, w): the column of the row above it came from
        for y in 0..<h {
            for x in lo...hi {
                let own = Double(mask[y * w + x]) + pull * abs(Double(x) - middle)
                guard y > 0 else { cost[x] = own; continue }
                var best = x
                for dx in [-1, 1] where x + dx >= lo && x + dx <= hi && cost[(y - 1) * w + x + dx] < cost[(y - 1) * w + best] {
                    best = x + dx
                }
                cost[y * w + x] = cost[(y - 1) * w + best] + own
                from[y * w + x] = best
            }
        }
        var x = lo
        for end in lo...hi where cost[(h - 1) * w + end] < cost[(h - 1) * w + x] { x = end }
        var path = [Int](repeating: 0, count: h), crossed = 0
        for y in stride(from: h - 1, through: 0, by: -1) {
            path[y] = x
            crossed += Int(mask[y * w + x])
            x = from[y * w + x]
        }
        return (path, crossed)
    }
}
