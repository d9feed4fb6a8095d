// Telling ink from shadow: a pen stroke's edge is sharp (the photo's blur spreads it over a few
// pixels) while a shadow's edge fades over tens of pixels. The illumination flattening fills in
// dark areas narrower than its window, so the narrow part of a shadow can cross the ink threshold;
// its blob then has soft edges. For each blob, the darkness is sampled `offset` px outside both
// ends of every run; a blob whose mean there is at least `maximumOutsideShare` of the threshold
// is a shadow (or a smudge) and is dropped. A stroke's outside samples are paper, near 0.

enum SoftEdgeRejection {
    static let offset = 4
    static let maximumOutsideShare: Float = 0.5

    /// Whether `blob`'s edges are sharp enough for ink on `ink`'s page.
    static func hasSharpEdges(_ blob: InkBlob, on ink: PageInk) -> Bool {
        var sum: Float = 0, samples = 0
        ink.darkness.withUnsafeBufferPointer { d in
            for run in blob.runs {
                let row = run.y * ink.width
                if run.x0 - offset >= 0 { sum += d[row + run.x0 - offset]; samples += 1 }
                if run.x1 - 1 + offset < ink.width { sum += d[row + run.x1 - 1 + offset]; samples += 1 }
            }
        }
        return samples == 0 || sum / Float(samples) < maximumOutsideShare * ink.threshold
    }
}
