// Joining the pieces of a digit that the ink mask broke apart (a faint or interrupted stroke).
// Two blobs are one digit when, with h the page's typical digit height,
//  - stacked: they overlap horizontally by at least half the narrower one's width and the
//    vertical gap between them is at most 0.4 h; or
//  - a fragment beside a digit: the smaller is under 0.5 h tall (no digit is) and the boxes are
//    at most 0.15 h apart across and 0.3 h apart up or down (a detached bar of a 5 or a 7);
// and the joined box stays digit-sized (at most 1.5 h tall and 1.4 h wide), so digits of
// neighbouring rows or columns are never joined. Closest pairs join first; each join re-checks
// the sizes with the groups as they are then.
// Two groups these rules keep apart may still be one digit broken across a stroke (a "4" or "7"
// cut near the middle leaves two pieces side by side): `mayBeOneDigit` names the neighbours close
// and small enough to be offered joined to the classifier as another reading (PageSegmentation).

enum FragmentMerging {
    static let stackedGap = 0.4, stackedOverlap = 0.5, stackedSideBySide = 0.3
    static let fragmentHeight = 0.5, fragmentGapAcross = 0.15, fragmentGapUpDown = 0.3
    static let maximumHeight = 1.5, maximumWidth = 1.4

    static func merged(_ blobs: [InkBlob], digitHeight h: Double) -> [InkBlob] {
        // Both rules need the boxes to overlap across or be at most fragmentGapAcross h apart, so
        // with the blobs sorted by left edge, a blob's partners start before its right edge plus
        // that gap: a sweep, not all pairs (a hostile page can have tens of thousands of blobs).
        var pairs: [(distance: Double, a: Int, b: Int)] = []
        let byLeft = blobs.indices.sorted { (blobs[$0].box.x, $0) < (blobs[$1].box.x, $1) }
        let reach = fragmentGapAcross * h
        for (k, a) in byLeft.enumerated() {
            for b in byLeft[(k + 1)...] {
                guard Double(blobs[b].box.x - blobs[a].box.maxX) <= reach else { break }
                if let d = joinDistance(blobs[a].box, blobs[b].box, digitHeight: h) { pairs.append((d, min(a, b), max(a, b))) }
            }
        }
        pairs.sort { ($0.distance, $0.a, $0.b) < ($1.distance, $1.a, $1.b) }
        var parent = Array(blobs.indices)
        var boxes = blobs.map(\.box)                      // the box of each group, kept at its root
        func root(_ i: Int) -> Int {
            var r = i
            while parent[r] != r { r = parent[r] }
            return r
        }
        for pair in pairs {
            let ra = root(pair.a), rb = root(pair.b)
            guard ra != rb else { continue }
            let joined = boxes[ra].union(boxes[rb])
            guard Double(joined.height) <= maximumHeight * h, Double(joined.width) <= maximumWidth * h else { continue }
            parent[rb] = ra
            boxes[ra] = joined
        }
        var slot: [Int: Int] = [:]                        // root -> index in groups
        var groups: [InkBlob] = []
        for i in blobs.indices {
            if let s = slot[root(i)] {
                groups[s].absorb(blobs[i])
            } else {
                slot[root(i)] = groups.count
                groups.append(blobs[i])
            }
        }
        return groups
    }

    static let alternativeGap = 0.15, alternativeWidth = 1.3

    /// Whether two neighbouring groups of one row could be one broken digit: the boxes at most
    /// `alternativeGap` h apart across, and joined no taller than `maximumHeight` h nor wider than
    /// `alternativeWidth` times the typical digit width w.
    static func mayBeOneDigit(_ a: PixelBox, _ b: PixelBox, digitHeight h: Double, digitWidth w: Double) -> Bool {
        let joined = a.union(b)
        return Double(max(0, -a.horizontalOverlap(b))) <= alternativeGap * h
            && Double(joined.height) <= maximumHeight * h && Double(joined.width) <= alternativeWidth * w
    }

    /// How far apart two blobs are when one of the rules allows joining them, else nil.
    private static func joinDistance(_ a: PixelBox, _ b: PixelBox, digitHeight h: Double) -> Double? {
        let xOverlap = a.horizontalOverlap(b), yOverlap = a.verticalOverlap(b)
        let xGap = Double(max(0, -xOverlap)), yGap = Double(max(0, -yOverlap))
        if Double(xOverlap) >= stackedOverlap * Double(min(a.width, b.width)) && yGap <= stackedGap * h
            && Double(yOverlap) <= stackedSideBySide * Double(min(a.height, b.height)) {
            return yGap
        }
        let smaller = a.height < b.height ? a : b
        if Double(smaller.height) < fragmentHeight * h && xGap <= fragmentGapAcross * h && yGap <= fragmentGapUpDown * h {
            return max(xGap, yGap)
        }
        return nil
    }
}
