// Bringing a digit's stroke width into MNIST's range before it is fitted into 20x20. The digit is
// resampled so its longer side is 80 px (4x the MNIST box) and its mean stroke width is measured
// (StrokeWidthEstimate.swift). MNIST's test digits, measured the same way, have a median of 9.5 px
// (10th-90th percentile 7.5-12.8). A width outside `acceptedWidths` is moved to the nearer end of
// that range by grey erosion or dilation with an octagon (GreyMorphology.swift), so photographed
// thick pens lose their excess and hairlines gain some, while MNIST-like strokes stay untouched.
// Moving only to the range's end, not to the median, measured best: on 1000 MNIST test digits
// redrawn with strokes thickened by 6% of the digit's height and blurred, an MNIST LeNet-5 read
// 86% unchanged, 89% after erosion to the median and 94% after erosion to the range's end.

enum StrokeNormalisation {
    /// The working scale: the longer side of the digit's box.
    static let workingSide = 80
    /// Stroke widths (px at the working scale) that are left alone.
    static let acceptedWidths: ClosedRange<Float> = 7.5...13

    /// `digit` (ink 0...1, cropped to its ink, peak 1) at the working scale, its strokes thinned or
    /// thickened when their width is outside `acceptedWidths`, cropped to its ink again.
    static func normalised(_ digit: GrayscaleImage) -> GrayscaleImage {
        let long = max(digit.width, digit.height)
        let work = digit.resampled(width: max(1, (digit.width * workingSide + long / 2) / long),
                                   height: max(1, (digit.height * workingSide + long / 2) / long))
        let margin = workingSide / 8
        let padded = work.padded(by: margin)
        guard let width = padded.meanStrokeWidth(), !acceptedWidths.contains(width) else { return work }
        let target = min(max(width, acceptedWidths.lowerBound), acceptedWidths.upperBound)
        // Changing the width by 2r also changes the box by 2r, and the box is then refitted to the
        // working side; solving (width -/+ 2r) * side / (side -/+ 2r) = target for r gives:
        let side = Float(workingSide)
        let r = min(margin, Int((abs(width - target) / (2 * (1 - target / side))).rounded()))
        guard r > 0 else { return work }
        let changed = width > target ? padded.eroded(octagonRadius: r) : padded.dilated(octagonRadius: r)
        // Erosion must not erase the digit: keep the original when most of the ink is gone.
        let before = padded.pixels.reduce(0, +), after = changed.pixels.reduce(0, +)
        guard after > 0.2 * before, let result = changed.croppedToInk(above: 0.02) else { return work }
        return result
    }
}
