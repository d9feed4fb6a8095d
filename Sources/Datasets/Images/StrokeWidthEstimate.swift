// The mean stroke width of the ink in an ink map (ink 0...1 on background 0): twice the ink area
// over the length of its outline, 2 * sum(u) / sum(|grad u|). A stroke of width w and length L has
// area w*L and an outline about 2*L long; the gradient total measures the outline independently
// of the stroke's direction because edges are soft (anti-aliased or blurred).

extension GrayscaleImage {
    /// The mean stroke width in pixels, treating pixel values as ink; nil without ink.
    /// Central differences inside, one-sided at the image edge (pad the image to avoid that).
    func meanStrokeWidth() -> Float? {
        guard width >= 2, height >= 2 else { return nil }
        var area: Float = 0, outline: Float = 0
        let w = width, h = height
        pixels.withUnsafeBufferPointer { u in
            for y in 0..<h {
                for x in 0..<w {
                    area += u[y * w + x]
                    let gx = x == 0 ? u[y * w + 1] - u[y * w]
                        : x == w - 1 ? u[y * w + x] - u[y * w + x - 1]
                        : (u[y * w + x + 1] - u[y * w + x - 1]) / 2
                    let gy = y == 0 ? u[w + x] - u[x]
                        : y == h - 1 ? u[y * w + x] - u[(y - 1) * w + x]
                        : (u[(y + 1) * w + x] - u[(y - 1) * w + x]) / 2
                    outline += (gx * gx + gy * gy).squareRoot()
                }
            }
        }
        guard area > 0, outline > 0 else { return nil }
        return 2 * area / outline
    }
}
