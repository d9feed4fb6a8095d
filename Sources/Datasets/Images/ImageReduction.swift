// Shrinking a decoded image by an integer factor f: an f x f box average (the edge boxes average
// the pixels they hold), giving ceil(width / f) x ceil(height / f), the size libjpeg's DCT scaling
// gives too. The factor is the largest that keeps the longest side at or above a target.

public enum ImageReduction {
    /// The largest f >= 1 with ceil(longestSide / f) >= target (f <= longestSide); 1 when target is
    /// nil. `dctOnly`: f is limited to 1, 2, 4 or 8, the scales libjpeg decodes to.
    static func factor(longestSide: Int, target: Int?, dctOnly: Bool = false) -> Int {
        guard let target, longestSide > 1 else { return 1 }
        // ceil(L / f) >= T  <=>  f (T - 1) < L  <=>  f <= (L - 1) / (T - 1) for T > 1
        let largest = target <= 1 ? longestSide : max(1, (longestSide - 1) / (target - 1))
        guard dctOnly else { return min(largest, longestSide) }
        return [8, 4, 2].first { $0 <= largest } ?? 1
    }

    /// `image` averaged over f x f boxes; the image itself when f is 1.
    public static func boxAverage(_ image: GrayscaleImage, factor f: Int) -> GrayscaleImage {
        guard f > 1 else { return image }
        let width = image.width, height = image.height
        let outWidth = (width + f - 1) / f, outHeight = (height + f - 1) / f
        var out = [Float](repeating: 0, count: outWidth * outHeight)     // (outHeight, outWidth)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for oy in 0 ..< outHeight {
                    let y0 = oy * f, y1 = min(y0 + f, height)
                    let row = dst.baseAddress! + oy * outWidth
                    for y in y0 ..< y1 {                                // sum the box rows into row
                        let line = src.baseAddress! + y * width
                        for ox in 0 ..< outWidth {
                            let x0 = ox * f, x1 = min(x0 + f, width)
                            var sum: Float = 0
                            for x in x0 ..< x1 { sum += line[x] }
                            row[ox] += sum
                        }
                    }
                    let fullBox = 1 / Float(f * (y1 - y0))
                    for ox in 0 ..< outWidth {
                        let columns = min(ox * f + f, width) - ox * f
                        row[ox] *= columns == f ? fullBox : 1 / Float(columns * (y1 - y0))
                    }
                }
            }
        }
        return GrayscaleImage(width: outWidth, height: outHeight, pixels: out)
    }
}
