// Choosing between a page's readings (PageSegmentation) by how sure a classifier is of them.
// A reading is a path through the first reading's regions where some stretches are replaced by
// their choice's alternative; its score is the sum over its regions of log(confidence) (the log
// of the product of the softmax maxima: a wrong cut gives halves the classifier doubts), plus
// `preference[kind]` for each alternative taken (negative: the geometric guess is kept unless the
// classifier is clearly surer of the other). Choices may overlap; the best path is found by
// dynamic programming over the positions 0...regions.count, so the work is linear in the
// candidates.

import Foundation

public enum SegmentationArbitration {
    /// Log-score added for taking an alternative of each kind (the prior for the geometric guess).
    public struct Preference: Sendable {
        public var unsplit: Double, split: Double, merged: Double

        public init(unsplit: Double, split: Double, merged: Double) {
            self.unsplit = unsplit
            self.split = split
            self.merged = merged
        }

        public func callAsFunction(_ kind: SegmentationChoice.Kind) -> Double {
            switch kind {
            case .unsplit: unsplit
            case .split: split
            case .merged: merged
            }
        }

        /// Tuned on 60 generated pages (launch/make-digit-pages, seed 1) with the LeNet-5 photo
        /// model and checked on 60 of seed 3: the product of confidences alone settles the
        /// choices best (a positive preference reads wide digits as two and joins neighbours, a
        /// negative one keeps more wrong cuts and broken digits).
        public static let standard = Preference(unsplit: 0, split: 0, merged: 0)
    }

    /// Indices into `segmentation.candidates` of the best reading, in reading order.
    /// `confidence[i]` is the classifier's top probability for candidate i (count must match).
    public static func reading(of segmentation: PageSegmentation, confidence: [Double],
                               preference: Preference = .standard) -> [Int] {
        let n = segmentation.regions.count
        precondition(confidence.count == segmentation.candidates.count,
                     "\(confidence.count) confidences for \(segmentation.candidates.count) candidates")
        func logScore(_ i: Int) -> Double { log(max(confidence[i], 1e-12)) }
        // Where each choice's alternative starts in `candidates`.
        var firstAlternative: [Int] = []
        var next = n
        for choice in segmentation.choices {
            firstAlternative.append(next)
            next += choice.alternative.count
        }
        // best[p]: the best score of a reading of regions[0..<p]; step[p]: how it ended (-1: region p-1 itself, else a choice).
        var best = [Double](repeating: -.infinity, count: n + 1)
        var step = [Int](repeating: -1, count: n + 1)
        best[0] = 0
        var c = 0
        for p in 0..<n {
            guard best[p] > -.infinity else { continue }
            if best[p] + logScore(p) > best[p + 1] { best[p + 1] = best[p] + logScore(p); step[p + 1] = -1 }
            while c < segmentation.choices.count && segmentation.choices[c].range.lowerBound < p { c += 1 }
            var k = c
            while k < segmentation.choices.count && segmentation.choices[k].range.lowerBound == p {
                let choice = segmentation.choices[k]
                let score = best[p] + preference(choice.kind)
                    + (0..<choice.alternative.count).reduce(0.0) { $0 + logScore(firstAlternative[k] + $1) }
                if score > best[choice.range.upperBound] { best[choice.range.upperBound] = score; step[choice.range.upperBound] = k }
                k += 1
            }
        }
        var picked: [Int] = []
        var p = n
        while p > 0 {
            if step[p] < 0 {
                picked.append(p - 1)
                p -= 1
            } else {
                let k = step[p], choice = segmentation.choices[k]
                picked += (0..<choice.alternative.count).reversed().map { firstAlternative[k] + $0 }
                p = choice.range.lowerBound
            }
        }
        return picked.reversed()
    }
}
