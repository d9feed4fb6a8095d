// Telling ink from shadow: a pen stroke's edge is sharp (the photo's blur spreads it over a few
// pixels) while a shadow's edge fades over tens of pixels. The illumination flattening fills in
// dark areas narrower than its window, so the narrow part of a shadow can cross the ink threshold;
// its blob then has soft edges. For each blob, the darkness is sampled `offset` px outside both
// ends of every run; a blob whose median there is at least `maximumOutsideShare` of the threshold
// is a shadow (or a smudge) and is dropped. A stroke's outside samples are mostly paper, near 0.
// The median, not the mean: where a run ends along the edge of a nearly horizontal stroke (the bar
// of a bold "5" or "2"), the sample 4 px on lies in the stroke's blurred edge, but most runs of a
// digit end at a steep edge; a shadow is soft all round. A blob that fails at `offset` is tried
// again at its own stroke width (InkBlob.strokeWidth) when that is larger: a bold stroke under a
// strong lens blur is still dark 4 px out, but not one stroke width out, while a shadow's edge
// fades over tens of pixels.

enum SoftEdgeRejection {
    static let offset = 4
    static let maximumOutsideShare: Float = 0.5

    /// Whether `blob`'s edges are sharp enough for ink on `ink`'s page.
    static func hasSharpEdges(_ blob: InkBlob, on ink: PageInk) -> Bool {
        if hasSharpEdges(blob, on: ink, offset: offset) { return true }
        let wider = Int(blob.strokeWidth().rounded())
        return wider > offset && hasSharpEdges(blob, on: ink, offset: wider)
    }

    private static func hasSharpEdges(_ blob: InkBlob, on ink: PageInk, offset: Int) -> Bool {
        let limit = maximumOutsideShare * ink.threshold
        var soft = 0, samples = 0                   // samples, and those at or above the limit
        ink.darkness.withUnsafeBufferPointer { d in
            for run in blob.runs {
                let row = run.y * ink.width
                if run.x0 - offset >= 0 { soft += d[row + run.x0 - offset] >= limit ? 1 : 0; samples += 1 }
                if run.x1 - 1 + offset < ink.width { soft += d[row + run.x1 - 1 + offset] >= limit ? 1 : 0; samples += 1 }
            }
        }
        return 2 * soft < samples || samples == 0
    }
}
