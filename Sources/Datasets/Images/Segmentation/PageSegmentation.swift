// What the segmenter found on a page, with the cuts it was unsure of. `regions` is its first
// reading, in reading order. Each choice names a stretch of it (consecutive regions of one row)
// and another way to read that stretch: the unsplit blob for regions cut apart by
// TouchingDigitSplitting, the two halves of a wide blob it left whole, or one region for two
// pieces that may be a broken digit. Geometry alone cannot settle these (a wide "0" or "00"?), so
// a classifier scores every candidate region and `SegmentationArbitration` picks the reading.
// Invariants: choices are sorted by `range.lowerBound`; every range lies inside `regions.indices`
// and is not empty; every alternative is non-empty, left to right, on the row of its stretch.

public struct PageSegmentation: Sendable {
    public var regions: [DigitRegion]
    public var choices: [SegmentationChoice]

    public init(regions: [DigitRegion], choices: [SegmentationChoice] = []) {
        self.regions = regions
        self.choices = choices
    }

    /// Every region a classifier should score: `regions`, then each choice's alternative in turn.
    /// `SegmentationArbitration.reading` indexes into this list.
    public var candidates: [DigitRegion] { regions + choices.flatMap(\.alternative) }
}

/// Another reading of `regions[range]` of a `PageSegmentation`.
public struct SegmentationChoice: Sendable {
    public enum Kind: Sendable {
        /// The stretch is one blob cut into touching digits; the alternative is the blob whole.
        case unsplit
        /// The stretch is one wide blob left whole; the alternative is its two halves.
        case split
        /// The stretch is pieces close enough to be one broken digit; the alternative joins them.
        case merged
    }

    public var range: Range<Int>
    public var alternative: [DigitRegion]
    public var kind: Kind

    public init(range: Range<Int>, alternative: [DigitRegion], kind: Kind) {
        self.range = range
        self.alternative = alternative
        self.kind = kind
    }
}
