// The ink map of an image that holds one digit (for `dtrain predict`): ink 0...1, background 0.
// 1. Polarity from the border: a light border (median > 0.5) means dark ink, which is inverted.
// 2. The background is the plane through the medians of the four border strips (the paper level
//    and a linear illumination gradient), subtracted from every pixel.
// 3. Otsu splits ink from paper; values from halfway between the paper mean and the threshold up
//    to the ink mean map linearly onto 0...1, so paper noise becomes 0 and edges stay soft.
// 4. Specks are dropped: 8-connected pieces of ink with under 10% of the largest piece's ink.
// An image with no contrast (the Otsu classes' means differ by under 0.2) is blank: all zeros.

enum DigitImageInk {
    static let minimumContrast: Float = 0.2
    static let minimumPieceShare: Float = 0.1

    static func inkMap(of image: GrayscaleImage) -> GrayscaleImage {
        let w = image.width, h = image.height
        var ink = GrayscaleImage(width: w, height: h, filledWith: 0)
        guard w >= 3, h >= 3 else { return ink }
        let strip = max(1, min(w, h) / 16)
        let top = median(of: image, x: 0..<w, y: 0..<strip), bottom = median(of: image, x: 0..<w, y: (h - strip)..<h)
        let left = median(of: image, x: 0..<strip, y: 0..<h), right = median(of: image, x: (w - strip)..<w, y: 0..<h)
        let level = (top + bottom + left + right) / 4
        let darkInk = level > 0.5
        // The plane: level at the centre, slopes from opposite strips' medians (strip centres are w - strip apart).
        let slopeX = (right - left) / Float(max(1, w - strip)), slopeY = (bottom - top) / Float(max(1, h - strip))
        let cx = Float(w - 1) / 2, cy = Float(h - 1) / 2
        var lifted = [Float](repeating: 0, count: w * h)     // ink up, paper near 0
        for y in 0..<h {
            for x in 0..<w {
                let background = level + slopeX * (Float(x) - cx) + slopeY * (Float(y) - cy)
                let v = image[x, y] - background
                lifted[y * w + x] = darkInk ? -v : v
            }
        }
        guard let otsu = lifted.withUnsafeBufferPointer({ OtsuThreshold($0) }),
              otsu.highMean - otsu.lowMean >= minimumContrast else { return ink }
        let low = (otsu.lowMean + otsu.threshold) / 2, high = max(otsu.highMean, low + 0.05)
        for i in lifted.indices { ink.pixels[i] = min(max((lifted[i] - low) / (high - low), 0), 1) }
        return withoutSpecks(ink)
    }

    /// The median pixel of a rectangle.
    private static func median(of image: GrayscaleImage, x: Range<Int>, y: Range<Int>) -> Float {
        var values: [Float] = []
        values.reserveCapacity(x.count * y.count)
        for row in y { for col in x { values.append(image[col, row]) } }
        values.sort()
        return values[values.count / 2]
    }

    /// `ink` with every piece holding under `minimumPieceShare` of the largest piece's ink set to 0.
    private static func withoutSpecks(_ ink: GrayscaleImage) -> GrayscaleImage {
        let mask = ink.pixels.map { $0 > 0 ? UInt8(1) : 0 }
        let pieces = mask.withUnsafeBufferPointer { ConnectedComponents.blobs(mask: $0, width: ink.width, height: ink.height) }
        let masses = pieces.map { piece in
            piece.runs.reduce(Float(0)) { sum, run in
                (run.x0..<run.x1).reduce(sum) { $0 + ink.pixels[run.y * ink.width + $1] }
            }
        }
        guard let largest = masses.max() else { return ink }
        var out = ink
        for (piece, mass) in zip(pieces, masses) where mass < minimumPieceShare * largest {
            for run in piece.runs {
                for x in run.x0..<run.x1 { out.pixels[run.y * ink.width + x] = 0 }
            }
        }
        return out
    }
}
