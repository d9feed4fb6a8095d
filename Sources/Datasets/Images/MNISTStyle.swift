// MNIST-style input for a classifier trained on MNIST: 28x28 floats, row-major, ink 1 on
// background 0. As MNIST was made: the digit's bounding box is scaled (aspect kept, area-averaged
// so edges are anti-aliased) until its longer side is 20 px, then placed in the 28x28 field with
// its centre of mass (pixel-index coordinates) at (14, 14), clipped to stay inside the field.
// One deviation: strokes far thicker or thinner than MNIST's are first brought towards MNIST's
// width (StrokeNormalisation.swift), because photographed pens rarely match it.

public enum MNISTStyle {
    public static let side = 28
    /// The longer side of the digit's box inside the field.
    public static let box = 20

    /// A whole image holding one digit (0 black ... 1 white) -> 784 floats, ink 1 on background 0.
    /// The background polarity comes from the image's border, a linear illumination gradient is
    /// removed, and paper is 0 (DigitImageInk.swift). A blank image gives all zeros.
    public static func prepare(_ image: GrayscaleImage) -> [Float] {
        fit(ink: DigitImageInk.inkMap(of: image))
    }

    /// The same from an ink map (ink intensity 0...1, background exactly 0, cropped or not):
    /// crop to the ink, scale so the brightest ink is 1, fit into 20x20, centre by mass.
    public static func fit(ink: GrayscaleImage) -> [Float] {
        var field = [Float](repeating: 0, count: side * side)
        guard let cropped = ink.croppedToInk(), let peak = cropped.pixels.max(), peak > 0 else { return field }
        let digit = StrokeNormalisation.normalised(cropped.scaled(by: 1 / peak))
        let long = max(digit.width, digit.height)
        let small = digit.resampled(width: max(1, (digit.width * box + long / 2) / long),
                                    height: max(1, (digit.height * box + long / 2) / long))
        guard let smallPeak = small.pixels.max(), smallPeak > 0 else { return field }
        let scaled = small.scaled(by: 1 / smallPeak)
        var mass: Float = 0, sumX: Float = 0, sumY: Float = 0
        for y in 0..<scaled.height {
            for x in 0..<scaled.width {
                let v = scaled[x, y]
                mass += v; sumX += v * Float(x); sumY += v * Float(y)
            }
        }
        let centre = Float(side / 2)
        let left = min(max(Int((centre - sumX / mass).rounded()), 0), side - scaled.width)
        let top = min(max(Int((centre - sumY / mass).rounded()), 0), side - scaled.height)
        for y in 0..<scaled.height {
            for x in 0..<scaled.width { field[(top + y) * side + left + x] = scaled[x, y] }
        }
        return field
    }
}
