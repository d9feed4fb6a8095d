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

public enum DigitSegmenter {
    /// A digit is at least this share of the page's longer side (and 6 px) tall or wide.
    static let smallestDigit = 1.0 / 200
    static let speckSide = 0.25, tallest = 3.0, widest = 6.0, shortestGroup = 0.4

    /// The digits of a page in reading order (rows top to bottom, each left to right). A blank page gives [].
    public static func segment(_ page: GrayscaleImage) -> [DigitRegion] {
        guard let ink = PageInk(page: page) else { return [] }
        let blobs = ink.mask.withUnsafeBufferPointer {
            ConnectedComponents.blobs(mask: $0, width: ink.width, height: ink.height)
        }.filter {
            $0.box.x > 0 && $0.box.y > 0 && $0.box.maxX < ink.width && $0.box.maxY < ink.height
                && SoftEdgeRejection.hasSharpEdges($0, on: ink)
        }
        let smallest = max(6, Int(Double(max(ink.width, ink.height)) * smallestDigit))
        guard let h = DigitSize.typicalHeight(of: blobs.filter { max($0.box.width, $0.box.height) >= smallest })
        else { return [] }
        let candidates = blobs.filter {
            Double(max($0.box.width, $0.box.height)) >= speckSide * h
                && Double($0.box.height) <= tallest * h && Double($0.box.width) <= widest * h
        }
        let groups = FragmentMerging.merged(candidates, digitHeight: h).filter { Double($0.box.height) >= shortestGroup * h }
        guard let groupHeight = DigitSize.typicalHeight(of: groups), let groupWidth = DigitSize.typicalWidth(of: groups)
        else { return [] }
        let digits = groups.flatMap { TouchingDigitSplitting.split($0, digitHeight: groupHeight, digitWidth: groupWidth) }
        let rows = RowOrdering.rows(of: digits.map(\.box), digitHeight: groupHeight)
        return ink.darkness.withUnsafeBufferPointer { darkness in
            rows.enumerated().flatMap { r, row in
                row.map { i in
                    DigitRegion(box: digits[i].box, row: r,
                                ink: digits[i].crop(darkness, pageWidth: ink.width, transform: ink.intensity))
                }
            }
        }
    }
}
