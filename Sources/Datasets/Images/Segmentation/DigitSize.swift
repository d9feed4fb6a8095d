// The typical digit height and width of a page: the median over its ink blobs, each weighted by
// its pixel count, so hundreds of noise specks weigh less than one digit and a broken digit's
// pieces count by their ink. Every size threshold of the segmentation is relative to these.

enum DigitSize {
    /// The area-weighted median height of `blobs`; nil when there are none.
    static func typicalHeight(of blobs: [InkBlob]) -> Double? { weightedMedian(blobs.map { ($0.box.height, $0.area) }) }

    /// The area-weighted median width of `blobs`; nil when there are none.
    static func typicalWidth(of blobs: [InkBlob]) -> Double? { weightedMedian(blobs.map { ($0.box.width, $0.area) }) }

    private static func weightedMedian(_ pairs: [(value: Int, weight: Int)]) -> Double? {
        guard !pairs.isEmpty else { return nil }
        let sorted = pairs.sorted { $0.value < $1.value }
        let total = sorted.reduce(0) { $0 + $1.weight }
        var seen = 0
        for pair in sorted {
            seen += pair.weight
            if 2 * seen >= total { return Double(pair.value) }
        }
        return Double(sorted[sorted.count - 1].value)
    }
}
