// Otsu's threshold over a histogram of values in 0...1: the cut that maximises the between-class
// variance of the two sides. Used to tell ink from paper, on a whole page and on one digit image.

struct OtsuThreshold {
    /// The threshold (a value in 0...1; "ink" is above it).
    let threshold: Float
    /// The mean of the values at or below the threshold, and of those above it.
    let lowMean: Float, highMean: Float

    static let bins = 256

    /// Otsu over `values` (clamped to 0...1); nil when they are all in one bin (nothing to separate).
    init?(_ values: UnsafeBufferPointer<Float>) {
        var histogram = [Int](repeating: 0, count: Self.bins)
        let top = Float(Self.bins - 1)
        for v in values { histogram[Int(min(max(v, 0), 1) * top + 0.5)] += 1 }
        self.init(histogram: histogram)
    }

    /// Otsu over a histogram of `bins` equal bins covering 0...1 (bin b holds values near b / (bins - 1)).
    init?(histogram: [Int]) {
        let top = Float(histogram.count - 1)
        var total = 0.0, weighted = 0.0
        for (b, n) in histogram.enumerated() { total += Double(n); weighted += Double(b) * Double(n) }
        var below = 0.0, belowWeighted = 0.0
        var best = -1.0, bestBin = -1
        for b in 0..<(histogram.count - 1) {
            below += Double(histogram[b])
            belowWeighted += Double(b) * Double(histogram[b])
            let above = total - below
            guard below > 0, above > 0 else { continue }
            let meanBelow = belowWeighted / below, meanAbove = (weighted - belowWeighted) / above
            let between = below * above * (meanBelow - meanAbove) * (meanBelow - meanAbove)
            if between > best { best = between; bestBin = b }
        }
        guard bestBin >= 0 else { return nil }
        var lowCount = 0.0, lowSum = 0.0
        for b in 0...bestBin { lowCount += Double(histogram[b]); lowSum += Double(b) * Double(histogram[b]) }
        threshold = (Float(bestBin) + 0.5) / top
        lowMean = Float(lowSum / lowCount) / top
        highMean = Float((weighted - lowSum) / (total - lowCount)) / top
    }
}
