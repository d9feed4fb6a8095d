// Direct convolution vectorised along output rows: for planes wide enough to fill 8- and 16-lane
// chunks (LeNet conv1: 28 columns). See DirectConv.swift for the layouts.
//
//   convolveRows       tile = 6 output channels x 16 columns; one tap: 2 loads of the padded
//                      source at the tap's offset + 6 filter values (packed (⌈R/6⌉, taps, 6))
//   filterGradientRows tile = 3 output channels x 3 taps of 8-lane sums over 8-wide chunks of
//                      padded dy rows, whose lanes past OW are zero

import Core

extension DirectConvolution {
    /// out (channels, outH, outW) = bias + Σ_t filters[t] · src[offsets[t] + row·rowLength + column]
    /// (then max(v, 0) when `relu`: the fused ReLU), for padded planes whose rows hold round16(outW) + KW - 1 floats (a chunk never leaves its row).
    /// rowTaps: per output row a pair (lo, hi), the only taps that can be nonzero there; nil = all.
    func convolveRows(_ src: UnsafePointer<Float>, rowLength: Int, _ offsets: UnsafeBufferPointer<Int>,
                      rowTaps: UnsafePointer<Int>?, _ packed: UnsafePointer<Float>, channels: Int, bias: UnsafePointer<Float>?,
                      relu: Bool, _ out: UnsafeMutablePointer<Float>, oh outH: Int, ow outW: Int) {
        let taps = offsets.count, offset = offsets.baseAddress!
        for blk in 0..<(roundUp(channels, 6) / 6) {
            let filters = packed + blk * taps * 6
            let live = min(6, channels - blk * 6)
            for oy in 0..<outH {
                let first = rowTaps?[2 * oy] ?? 0, end = rowTaps?[2 * oy + 1] ?? taps
                var x0 = 0
                while x0 < outW {
                    var tile = Tile6x16()
                    let origin = src + (oy &* rowLength &+ x0)
                    var f = filters + first * 6, t = first
                    while t < end {
                        let p = origin + offset[t]
                        tile.accumulate(f, load8(p), load8(p + 8))
                        f += 6; t &+= 1
                    }
                    let n = min(16, outW - x0)
                    for q in 0..<live {
                        let o = blk * 6 + q
                        let b = SIMD8<Float>(repeating: bias?[o] ?? 0)
                        let (lo, hi) = tile.row(q)
                        let dst = out + (o * outH + oy) * outW + x0
                        store8(rectified(lo + b, relu), dst, count: n)
                        if n > 8 { store8(rectified(hi + b, relu), dst + 8, count: n - 8) }
                    }
                    x0 += 16
                }
            }
        }
    }

    /// partial[(o·T + t)·8 + lane] += one sample's lane-wise sums of dy[o] · xp shifted by tap t,
    /// T = offsets.count (a multiple of 3). dyp is this sample's padded dy.
    func filterGradientRows(_ xp: UnsafePointer<Float>, _ dyp: UnsafePointer<Float>,
                            _ offsets: UnsafeBufferPointer<Int>, _ partial: UnsafeMutablePointer<Float>) {
        let tapCount = offsets.count, rowLength = input.rowLength
        let dyRowLength = gradient.rowLength, dyPlane = gradient.planeCount
        let dyOrigin = gradient.top * dyRowLength + gradient.left
        for o0 in stride(from: 0, to: outChannels, by: 3) {
            // channels past O repeat the last one; their sums land in rows never read
            let d0 = dyp + dyOrigin + o0 * dyPlane
            let d1 = dyp + dyOrigin + min(o0 + 1, outChannels - 1) * dyPlane
            let d2 = dyp + dyOrigin + min(o0 + 2, outChannels - 1) * dyPlane
            for t0 in stride(from: 0, to: tapCount, by: 3) {
                let s0 = xp + offsets[t0], s1 = xp + offsets[t0 + 1], s2 = xp + offsets[t0 + 2]
                let sums = partial + (o0 * tapCount + t0) * 8
                var tile = Tile3x3(sums, stride: tapCount * 8)
                for oy in 0..<oh {
                    let dr = oy &* dyRowLength, xr = oy &* rowLength
                    var x = 0
                    while x < ow {
                        let dx = dr &+ x, xx = xr &+ x
                        tile.accumulate(load8(s0 + xx), load8(s1 + xx), load8(s2 + xx), d0 + dx, d1 + dx, d2 + dx)
                        x &+= 8
                    }
                }
                tile.store(sums, stride: tapCount * 8)
            }
        }
    }
}
