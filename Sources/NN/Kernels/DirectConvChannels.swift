// Direct convolution vectorised along channels: for small planes with many filters (LeNet conv2:
// 16 filters over 10x10 outputs), where 16-column row chunks would leave lanes idle.
//
//   convolveChannels       tile = 6 output pixels x 16 channels; one tap: 6 broadcasts of the
//                          source at pixel + tap offset, 2 loads of the transposed filters (taps, R16)
//   filterGradientChannels tile = 6 taps x 16 channels, summed over the sample's pixels from dy
//                          transposed to (pixels, O16); partial sums (taps rounded to 6, O16)

import Core

extension DirectConvolution {
    /// out (channels, P) = bias + Σ_t filtersT[t, channel] · src[pixels[p] + offsets[t]], then
    /// max(v, 0) when `relu` (the fused ReLU), where
    /// P = pixelCount and `pixels` is padded to a multiple of 6 (extra pixels are computed, not stored).
    func convolveChannels(_ src: UnsafePointer<Float>, _ offsets: UnsafeBufferPointer<Int>,
                          _ pixels: UnsafeBufferPointer<Int>, pixelCount: Int, _ filtersT: UnsafePointer<Float>,
                          channels: Int, bias: UnsafePointer<Float>?, relu: Bool, _ out: UnsafeMutablePointer<Float>) {
        let taps = offsets.count, offset = offsets.baseAddress!, stride16 = roundUp(channels, 16)
        var lanes = (SIMD8<Float>(), SIMD8<Float>())
        for c0 in stride(from: 0, to: channels, by: 16) {
            let live = min(16, channels - c0)
            var b0 = SIMD8<Float>(), b1 = SIMD8<Float>()
            if let bias {
                for l in 0..<min(8, live) { b0[l] = bias[c0 + l] }
                for l in 8..<max(8, live) { b1[l - 8] = bias[c0 + l] }
            }
            for p0 in stride(from: 0, to: pixelCount, by: 6) {
                let s0 = src + pixels[p0], s1 = src + pixels[p0 + 1], s2 = src + pixels[p0 + 2]
                let s3 = src + pixels[p0 + 3], s4 = src + pixels[p0 + 4], s5 = src + pixels[p0 + 5]
                var tile = Tile6x16()
                var f = filtersT + c0, t = 0
                while t < taps {
                    let o = offset[t]
                    tile.accumulate(s0[o], s1[o], s2[o], s3[o], s4[o], s5[o], load8(f), load8(f + 8))
                    f += stride16; t &+= 1
                }
                for k in 0..<min(6, pixelCount - p0) {
                    let (lo, hi) = tile.row(k)
                    lanes = (rectified(lo + b0, relu), rectified(hi + b1, relu))
                    withUnsafeBytes(of: &lanes) { raw in
                        let v = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                        let dst = out + c0 * pixelCount + p0 + k
                        for l in 0..<live { dst[l * pixelCount] = v[l] }
                    }
                }
            }
        }
    }

    /// dyT[p, o] = dy[o, p] for one sample; lanes o >= O stay zero.
    func transposeGradient(_ dy: UnsafePointer<Float>, into dyT: UnsafeMutablePointer<Float>) {
        let pixels = oh * ow, stride16 = roundUp(outChannels, 16)
        for o in 0..<outChannels {
            let src = dy + o * pixels
            for p in 0..<pixels { dyT[p &* stride16 &+ o] = src[p] }
        }
    }

    /// partial[t, o] += Σ_p xp[pixels[p] + offsets[t]] · dyT[p, o] for one sample; T = offsets.count
    /// is a multiple of 6 and partial is (T, O16).
    func filterGradientChannels(_ xp: UnsafePointer<Float>, _ dyT: UnsafePointer<Float>,
                                _ offsets: UnsafeBufferPointer<Int>, _ pixels: UnsafeBufferPointer<Int>,
                                _ partial: UnsafeMutablePointer<Float>) {
        let tapCount = offsets.count, pixelCount = oh * ow, stride16 = roundUp(outChannels, 16)
        let pixel = pixels.baseAddress!
        for c0 in stride(from: 0, to: outChannels, by: 16) {
            for t0 in stride(from: 0, to: tapCount, by: 6) {
                let o0 = offsets[t0], o1 = offsets[t0 + 1], o2 = offsets[t0 + 2]
                let o3 = offsets[t0 + 3], o4 = offsets[t0 + 4], o5 = offsets[t0 + 5]
                let sums = partial + t0 * stride16 + c0
                var tile = Tile6x16(sums, stride: stride16)
                var d = dyT + c0, p = 0
                while p < pixelCount {
                    let s = xp + pixel[p]
                    tile.accumulate(s[o0], s[o1], s[o2], s[o3], s[o4], s[o5], load8(d), load8(d + 8))
                    d += stride16; p &+= 1
                }
                tile.store(sums, stride: stride16)
            }
        }
    }
}
