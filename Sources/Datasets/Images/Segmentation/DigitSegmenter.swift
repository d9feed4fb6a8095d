// Finding the handwritten digits on a page photo, in reading order. The steps, each in its file:
//  1. PageInk: polarity, illumination flattening, noise blur, Otsu threshold -> ink mask.
//  2. ConnectedComponents: 8-connected blobs of the mask.
//  3. Blobs touching the image border go (page edges, the table under the page), and so do blobs
//     with soft edges (SoftEdgeRejection: shadows). The typical digit height h is the
//     area-weighted median height of the rest (DigitSize), counting only blobs with a side of at
//     least `smallestDigit` of the page's longer side; none means a blank page.
//  4. Specks (longer side under 0.25 h) and shapes too large for a digit or a few touching ones
//     (over 3 h tall or 6 h wide) go.
//  5. FragmentMerging joins a digit's broken strokes; groups under 0.4 h tall are not digits.
//  6. TouchingDigitSplitting cuts groups too wide for one digit; h and the typical width are
//     measured on the groups first.
//  7. RowOrdering puts the digits into rows, top to bottom, each left to right.
//  8. The uncertain cuts become choices (PageSegmentation): each group that step 6 cut, read
//     whole; each wide group it left whole, read as its cheapest cut's halves; each two
//     neighbours of a row that may be one broken digit, read joined.

public enum DigitSegmenter {
    /// A digit is at least this share of the page's longer side (and 6 px) tall or wide.
    static let smallestDigit = 1.0 / 200
    static let speckSide = 0.25, tallest = 3.0, widest = 6.0, shortestGroup = 0.4

    /// The digits of a page in reading order (rows top to bottom, each left to right). A blank page gives [].
    /// This is the first reading of `segmentation(_:)`, without its choices.
    public static func segment(_ page: GrayscaleImage) -> [DigitRegion] { segmentation(page).regions }

    /// The digits of a page in reading order, with other readings of the cuts that geometry alone
    /// cannot settle. A blank page gives no regions.
    public static func segmentation(_ page: GrayscaleImage) -> PageSegmentation {
        guard let ink = PageInk(page: page) else { return PageSegmentation(regions: []) }
        let blobs = ink.mask.withUnsafeBufferPointer {
            ConnectedComponents.blobs(mask: $0, width: ink.width, height: ink.height)
        }.filter {
            $0.box.x > 0 && $0.box.y > 0 && $0.box.maxX < ink.width && $0.box.maxY < ink.height
                && SoftEdgeRejection.hasSharpEdges($0, on: ink)
        }
        let smallest = max(6, Int(Double(max(ink.width, ink.height)) * smallestDigit))
        guard let h = DigitSize.typicalHeight(of: blobs.filter { max($0.box.width, $0.box.height) >= smallest })
        else { return PageSegmentation(regions: []) }
        let candidates = blobs.filter {
            Double(max($0.box.width, $0.box.height)) >= speckSide * h
                && Double($0.box.height) <= tallest * h && Double($0.box.width) <= widest * h
        }
        let groups = FragmentMerging.merged(candidates, digitHeight: h).filter { Double($0.box.height) >= shortestGroup * h }
        guard let groupHeight = DigitSize.typicalHeight(of: groups), let groupWidth = DigitSize.typicalWidth(of: groups)
        else { return PageSegmentation(regions: []) }
        var digits: [InkBlob] = []
        var others: [(members: [Int], alternative: [InkBlob], kind: SegmentationChoice.Kind)] = []   // members: indices in `digits`
        for group in groups {
            let parts = TouchingDigitSplitting.split(group, digitHeight: groupHeight, digitWidth: groupWidth)
            let first = digits.count
            digits += parts
            if parts.count > 1 {
                others.append((Array(first..<digits.count), [group], .unsplit))
            } else if let halves = TouchingDigitSplitting.halves(group, digitHeight: groupHeight, digitWidth: groupWidth) {
                others.append(([first], halves, .split))
            }
        }
        let rows = RowOrdering.rows(of: digits.map(\.box), digitHeight: groupHeight)
        let order = rows.flatMap { $0 }
        for row in rows {
            for (a, b) in zip(row, row.dropFirst())
            where FragmentMerging.mayBeOneDigit(digits[a].box, digits[b].box, digitHeight: groupHeight, digitWidth: groupWidth) {
                var joined = digits[a]
                joined.absorb(digits[b])
                others.append(([a, b], [joined], .merged))
            }
        }
        var position = [Int](repeating: 0, count: digits.count), rowOf = [Int](repeating: 0, count: digits.count)
        for (p, i) in order.enumerated() { position[i] = p }
        for (r, row) in rows.enumerated() { for i in row { rowOf[i] = r } }
        return ink.darkness.withUnsafeBufferPointer { darkness in
            func region(_ blob: InkBlob, row: Int) -> DigitRegion {
                DigitRegion(box: blob.box, row: row, ink: blob.crop(darkness, pageWidth: ink.width, transform: ink.intensity))
            }
            let regions = order.map { region(digits[$0], row: rowOf[$0]) }
            var choices: [SegmentationChoice] = []
            for other in others {
                // Only a stretch of consecutive digits of one row can be read another way.
                let places = other.members.map { position[$0] }.sorted(), row = rowOf[other.members[0]]
                guard let start = places.first, let end = places.last, end - start == places.count - 1,
                      other.members.allSatisfy({ rowOf[$0] == row }) else { continue }
                choices.append(SegmentationChoice(range: start..<end + 1,
                                                  alternative: other.alternative.map { region($0, row: row) },
                                                  kind: other.kind))
            }
            choices.sort { $0.range.lowerBound < $1.range.lowerBound }
            return PageSegmentation(regions: regions, choices: choices)
        }
    }
}
