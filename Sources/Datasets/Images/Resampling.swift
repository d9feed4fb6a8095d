// Resizing a GrayscaleImage to any width x height, one axis at a time. An axis that shrinks is
// area-averaged (each output pixel is the mean of the source area it covers, so edges come out
// anti-aliased, as MNIST's downscaling made them); an axis that grows is bilinear with pixel
// centres aligned. The weights of every output pixel sum to 1, so a constant image stays constant.

extension GrayscaleImage {
    /// This image resampled to `width` x `height` (each >= 0). An empty source gives zeros.
    public func resampled(width newWidth: Int, height newHeight: Int) -> GrayscaleImage {
        precondition(newWidth >= 0 && newHeight >= 0, "resampled: negative size \(newWidth)x\(newHeight)")
        guard width > 0, height > 0, newWidth > 0, newHeight > 0 else {
            return GrayscaleImage(width: newWidth, height: newHeight, filledWith: 0)
        }
        let across = ResampleAxis(from: width, to: newWidth)
        let down = ResampleAxis(from: height, to: newHeight)
        var rows = [Float](repeating: 0, count: height * newWidth)          // (height, newWidth)
        var out = [Float](repeating: 0, count: newHeight * newWidth)        // (newHeight, newWidth)
        pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { mid in
                for y in 0..<height {
                    across.apply(src.baseAddress! + y * width, stride: 1, into: mid.baseAddress! + y * newWidth, stride: 1)
                }
            }
        }
        rows.withUnsafeBufferPointer { mid in
            out.withUnsafeMutableBufferPointer { dst in
                for x in 0..<newWidth {
                    down.apply(mid.baseAddress! + x, stride: newWidth, into: dst.baseAddress! + x, stride: newWidth)
                }
            }
        }
        return GrayscaleImage(width: newWidth, height: newHeight, pixels: out)
    }
}

/// The weights that map a line of `source` samples to `target` samples: output i is
/// sum_k weights[offset[i] + k] * in[first[i] + k] for k in 0..<count[i].
struct ResampleAxis {
    let target: Int
    private(set) var first: [Int] = []
    private(set) var count: [Int] = []
    private(set) var offset: [Int] = []
    private(set) var weights: [Float] = []

    init(from source: Int, to target: Int) {
        self.target = target
        let scale = Double(source) / Double(target)          // source samples per output sample
        for i in 0..<target {
            offset.append(weights.count)
            if scale >= 1 {                                  // shrink: the covered area, normalised
                let a = Double(i) * scale, b = Double(i + 1) * scale
                let lo = Int(a.rounded(.down)), hi = min(source, Int(b.rounded(.up)))
                first.append(lo)
                for j in lo..<hi {
                    weights.append(Float((min(b, Double(j + 1)) - max(a, Double(j))) / scale))
                }
                count.append(hi - lo)
            } else {                                         // grow: linear between the two nearest centres
                let centre = min(max((Double(i) + 0.5) * scale - 0.5, 0), Double(source - 1))
                let lo = Int(centre.rounded(.down)), t = Float(centre - Double(lo))
                first.append(lo)
                if lo + 1 < source {
                    weights += [1 - t, t]
                    count.append(2)
                } else {
                    weights.append(1)
                    count.append(1)
                }
            }
        }
    }

    /// Resamples one line read with `stride` into one line written with `outStride`.
    func apply(_ src: UnsafePointer<Float>, stride: Int, into dst: UnsafeMutablePointer<Float>, stride outStride: Int) {
        weights.withUnsafeBufferPointer { w in
            for i in 0..<target {
                var sum: Float = 0
                let base = first[i], o = offset[i]
                for k in 0..<count[i] { sum += w[o + k] * src[(base + k) * stride] }
                dst[i * outStride] = sum
            }
        }
    }
}
