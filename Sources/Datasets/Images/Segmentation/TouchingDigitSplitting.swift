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
// leaves more touching pairs whole while a looser one cuts more wide single digits. So both
// readings are offered to the classifier (PageSegmentation): the whole blob beside its parts, and
// the cheapest cut's halves beside a wide blob left whole (`halves`, a looser gate).

enum TouchingDigitSplitting {
    static let minimumWidthShare = 1.4, minimumAspect = 1.15, minimumOwnAspect = 1.1
    static let searchedShare = 0.6
    static let maximumCrossing = 1.0
    static let shortestPart = 0.7
    static let alternativeWidthShare = 1.4, alternativeAspect = 1.15, shortestAlternativePart = 0.7

    static func split(_ blob: InkBlob, digitHeight h: Double, digitWidth w: Double) -> [InkBlob] {
        let box = blob.box, width = Double(box.width)
        guard width > minimumWidthShare * w, width > minimumAspect * h, width > minimumOwnAspect * Double(box.height),
              let cut = cheapestCut(blob), Double(cut.crossed) <= maximumCrossing * blob.strokeWidth(),
              Double(min(cut.left.box.height, cut.right.box.height)) >= shortestPart * Double(box.height)
        else { return [blob] }
        return split(cut.left, digitHeight: h, digitWidth: w) + split(cut.right, digitHeight: h, digitWidth: w)
    }

    /// The two sides of the cheapest cut of a blob that `split` left whole but that is wide enough
    /// to be two digits (wider than `alternativeWidthShare` times the typical digit width and
    /// `alternativeAspect` times the typical height), whatever ink the cut crosses, when both sides
    /// keep `shortestAlternativePart` of its height: another reading for a classifier to weigh.
    static func halves(_ blob: InkBlob, digitHeight h: Double, digitWidth w: Double) -> [InkBlob]? {
        let box = blob.box, width = Double(box.width)
        guard width > alternativeWidthShare * w, width > alternativeAspect * h, let cut = cheapestCut(blob),
              Double(min(cut.left.box.height, cut.right.box.height)) >= shortestAlternativePart * Double(box.height)
        else { return nil }
        return [cut.left, cut.right]
    }

    /// The blob's two sides along its cheapest path and the ink that path crosses; nil for a box
    /// too narrow to search or a path with pixels on one side only.
    private static func cheapestCut(_ blob: InkBlob) -> (left: InkBlob, right: InkBlob, crossed: Int)? {
        guard let (path, crossed) = cheapestPath(through: blob) else { return nil }
        let parts = blob.split(along: path.map { blob.box.x + $0 })
        guard let left = parts.left, let right = parts.right else { return nil }
        return (left, right, crossed)
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
