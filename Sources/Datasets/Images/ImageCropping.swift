// Small whole-image edits the preprocessing needs: crop to the ink, crop a rectangle, scale the
// values, pad with a border. Each returns a new image.

extension GrayscaleImage {
    /// The crop to the box of pixels above `level`; nil when there is none.
    func croppedToInk(above level: Float = 0) -> GrayscaleImage? {
        var x0 = width, x1 = -1, y0 = height, y1 = -1
        for y in 0..<height {
            for x in 0..<width where self[x, y] > level {
                x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
            }
        }
        guard x1 >= 0 else { return nil }
        return cropped(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
    }

    /// The pixels of the given rectangle (which must lie inside the image).
    func cropped(x: Int, y: Int, width w: Int, height h: Int) -> GrayscaleImage {
        var out = [Float](repeating: 0, count: w * h)
        for row in 0..<h {
            for col in 0..<w { out[row * w + col] = self[x + col, y + row] }
        }
        return GrayscaleImage(width: w, height: h, pixels: out)
    }

    /// Every pixel times `factor`.
    func scaled(by factor: Float) -> GrayscaleImage {
        GrayscaleImage(width: width, height: height, pixels: pixels.map { $0 * factor })
    }

    /// The image inside a border of `margin` pixels of `value`.
    func padded(by margin: Int, value: Float = 0) -> GrayscaleImage {
        var out = GrayscaleImage(width: width + 2 * margin, height: height + 2 * margin, filledWith: value)
        for y in 0..<height {
            for x in 0..<width { out[x + margin, y + margin] = self[x, y] }
        }
        return out
    }
}
