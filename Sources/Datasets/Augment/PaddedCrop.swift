// Random crop with padding (torchvision's RandomCrop(size, padding=pad) at the image's own size):
// zero-pad by `pad` on every side, then cut the original size out at offset (pad + dx, pad + dy).
// That is an integer translation: destination (x, y) = source (x + dx, y + dy), 0 outside.

/// Writes `source` (height, width) cropped at offset (dx, dy) from its padded form to `destination`
/// (a different buffer of the same size).
public func cropWithPadding(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>,
                            width: Int, height: Int, dx: Int, dy: Int) {
    for y in 0..<height {
        let out = destination + y * width, sy = y + dy
        guard sy >= 0 && sy < height else { out.update(repeating: 0, count: width); continue }
        let row = source + sy * width
        for x in 0..<width {
            let sx = x + dx
            out[x] = sx >= 0 && sx < width ? row[sx] : 0
        }
    }
}
