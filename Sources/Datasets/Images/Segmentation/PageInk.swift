// A page photo as ink: darkness relative to the local paper, and the mask of ink pixels.
// 1. Polarity: the page's median is paper; below 0.5 the page is light-on-dark and is inverted.
// 2. A [1 2 1] blur per axis calms sensor and JPEG noise.
// 3. Illumination: the paper's brightness is a grey closing (maximum then minimum over a square
//    of about 1/20 of the page's longer side) at full resolution. It fills in strokes narrower
//    than the square and keeps monotone profiles exactly: gradients, shadow edges and the page's
//    own edge against a darker table stay where they are, so none of them turns into ink.
//    Darkness = 1 - pixel / paper: 0 on paper, in 0...1.
// 4. Otsu on the darkness gives the ink threshold, never below `minimumThreshold`. A page whose
//    Otsu classes differ by under `minimumContrast` has no ink.

struct PageInk {
    let width: Int, height: Int
    /// (height, width) darkness 0...1 of the blurred page; ink is high.
    let darkness: [Float]
    /// (height, width) 1 where darkness > threshold.
    let mask: [UInt8]
    let threshold: Float
    /// The median darkness of the ink pixels: what a full-strength stroke looks like on this page.
    let inkLevel: Float

    static let minimumThreshold: Float = 0.15
    static let minimumContrast: Float = 0.25

    /// nil for a page without ink (blank, or too small to hold a digit).
    init?(page: GrayscaleImage) {
        width = page.width
        height = page.height
        guard width >= 8, height >= 8 else { return nil }
        let flipped = Self.median(page.pixels, above: -1) < 0.5
        let lightness = GrayscaleImage(width: width, height: height,
                                       pixels: Self.blurred(flipped ? page.pixels.map { 1 - $0 } : page.pixels, width: width, height: height))
        let radius = max(2, max(width, height) / 40)
        let paper = lightness.squareMaximum(radius: radius).squareMinimum(radius: radius)
        darkness = zip(lightness.pixels, paper.pixels).map { v, p in min(max(1 - v / max(p, 0.02), 0), 1) }
        guard let otsu = darkness.withUnsafeBufferPointer({ OtsuThreshold($0) }),
              otsu.highMean - otsu.lowMean >= Self.minimumContrast else { return nil }
        threshold = max(otsu.threshold, Self.minimumThreshold)
        let t = threshold
        mask = darkness.map { $0 > t ? 1 : 0 }
        inkLevel = Self.median(darkness, above: t)
    }

    /// Ink intensity for a darkness value: half the threshold maps to 0, the page's median ink to 1.
    func intensity(_ d: Float) -> Float {
        let floor = threshold * 0.5
        return min(max((d - floor) / max(inkLevel - floor, 0.05), 0), 1)
    }

    /// The median (to 1/1024) of the values above `level`, clamped to 0...1; 1 when there are none.
    private static func median(_ values: [Float], above level: Float) -> Float {
        var histogram = [Int](repeating: 0, count: 1024)
        var count = 0
        for v in values where v > level {
            histogram[Int(min(max(v, 0), 1) * 1023)] += 1
            count += 1
        }
        var seen = 0
        for (b, n) in histogram.enumerated() {
            seen += n
            if 2 * seen >= count && count > 0 { return (Float(b) + 0.5) / 1024 }
        }
        return 1
    }

    /// A [1 2 1] / 4 blur along each axis (edges repeat).
    private static func blurred(_ values: [Float], width w: Int, height h: Int) -> [Float] {
        var rows = values, out = values
        values.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    let r = y * w
                    for x in 0..<w {
                        dst[r + x] = (src[r + max(x - 1, 0)] + 2 * src[r + x] + src[r + min(x + 1, w - 1)]) * 0.25
                    }
                }
            }
        }
        rows.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    let up = max(y - 1, 0) * w, r = y * w, down = min(y + 1, h - 1) * w
                    for x in 0..<w { dst[r + x] = (src[up + x] + 2 * src[r + x] + src[down + x]) * 0.25 }
                }
            }
        }
        return out
    }
}
