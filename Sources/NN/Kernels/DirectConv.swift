// Direct convolution for stride-1 layers with few filters (LeNet's conv1 and conv2). There im2col +
// sgemm fits badly: the products have M = 6 or 16 rows, below BLAS's 16-row micro-tile, and copying
// the columns costs as much as multiplying them. These kernels read a zero-padded copy of each
// plane instead of columns and keep a tile of SIMD8 sums in registers.
//
//   padded planes : (C, ROWS, ROWLEN)  xp[c, y + top, x + left] = x[c, y, x], zero elsewhere; rows
//                   are long enough for a whole 16-wide output chunk plus the kernel's width
//   forward       : y[o, oy, ox] = bias[o] + Σ_{c,i,j} w[o, c, i, j] · xp[c, oy + i, ox + j]
//                   tile = 6 output channels x 16 columns (12 accumulators); one tap loads 2 vectors
//                   of xp and 6 filter values from the packed copy (⌈O/6⌉, C·KH·KW, 6)
//   filter grad   : dW[o, c, i, j] += Σ_{oy,ox} dy[o, oy, ox] · xp[c, oy + i, ox + j]
//                   tile = 3 output channels x 4 taps (12 accumulators) over 8-wide chunks of padded
//                   dy rows, whose lanes past OW are zero
//   input grad    : the forward kernel run on dy padded by (KH-1-PH, KW-1-PW) with the filters
//                   transposed and flipped: dx[c, y, x] = Σ_{o,i,j} w[o, c, KH-1-i, KW-1-j] · dyp[o, y+i, x+j]
//
// Built with AVX2 + FMA where the building machine has them (Package.swift defines DTRAIN_FMA);
// elsewhere SIMD8 arithmetic falls back to separate multiply and add.

/// acc += a · b, fused where the target has FMA (Swift's addProduct would otherwise call fmaf per lane).
@inline(__always)
func multiplyAdd(_ acc: inout SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) {
    #if DTRAIN_FMA
    acc.addProduct(a, b)
    #else
    acc += a * b
    #endif
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Stores the first `count` lanes of v (all 8 when count >= 8).
@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 8 {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    } else {
        for l in 0..<count { p[l] = v[l] }
    }
}

@inline(__always)
func roundUp(_ n: Int, _ multiple: Int) -> Int { (n + multiple - 1) / multiple * multiple }

/// A stack of zero-padded planes: `channels` planes of (height, width) placed at (top, left) inside
/// (rows, rowLength). Only the interior is ever written, so padding zeroed once stays zero.
public struct PaddedPlanes: Equatable, Sendable {
    public let channels: Int, height: Int, width: Int
    public let top: Int, left: Int
    public let rows: Int, rowLength: Int
    public var planeCount: Int { rows * rowLength }
    public var count: Int { channels * planeCount }

    public init(channels: Int, height: Int, width: Int, top: Int, left: Int, rows: Int, rowLength: Int) {
        precondition(top >= 0 && left >= 0 && rows >= top + height && rowLength >= left + width)
        self.channels = channels; self.height = height; self.width = width
        self.top = top; self.left = left; self.rows = rows; self.rowLength = rowLength
    }

    /// Pointer to element (c, y, x) of the interior.
    @inline(__always)
    public func interior(_ p: UnsafeMutablePointer<Float>, _ c: Int, _ y: Int) -> UnsafeMutablePointer<Float> {
        let offset = (c &* rows &+ top &+ y) &* rowLength &+ left
        return p + offset
    }

    /// xp's interior = x (channels, height, width).
    public func fill(_ x: UnsafePointer<Float>, into xp: UnsafeMutablePointer<Float>) {
        var src = x
        for c in 0..<channels {
            for y in 0..<height {
                let dst = interior(xp, c, y)
                var i = 0
                while i < width { dst[i] = src[i]; i &+= 1 }
                src += width
            }
        }
    }
}

/// The geometry of one stride-1 convolution run directly, with its padded layouts.
public struct DirectConvolution: Sendable {
    public let inChannels: Int, outChannels: Int
    public let kh: Int, kw: Int
    public let height: Int, width: Int          // input plane
    public let oh: Int, ow: Int                 // output plane
    public let input: PaddedPlanes              // x padded by (PH, PW)
    public let gradient: PaddedPlanes           // dy padded by (KH-1-PH, KW-1-PW)
    public var taps: Int { inChannels * kh * kw }
    /// Offsets of every tap inside its padded planes, relative to output (0, 0): forward taps (c, i, j)
    /// in the input; dx taps (o, i, j) in padded dy; filter-gradient taps = forward taps padded to a
    /// multiple of 3 with the last real tap (its sums are computed and dropped).
    let forwardOffsets: [Int], inputGradientOffsets: [Int], filterGradientOffsets: [Int]

    /// Stride 1 and padding below the kernel size (so dy's padding for dx is not negative).
    public static func applies(_ g: ConvGeometry) -> Bool {
        g.sh == 1 && g.sw == 1 && g.ph < g.kh && g.pw < g.kw && g.oh > 0 && g.ow > 0
    }

    public init(_ g: ConvGeometry, outChannels: Int) {
        precondition(Self.applies(g))
        inChannels = g.c; self.outChannels = outChannels
        kh = g.kh; kw = g.kw; height = g.h; width = g.w; oh = g.oh; ow = g.ow
        input = PaddedPlanes(channels: g.c, height: g.h, width: g.w, top: g.ph, left: g.pw,
                             rows: g.h + 2 * g.ph, rowLength: roundUp(g.ow, 16) + g.kw - 1)
        let top = g.kh - 1 - g.ph, left = g.kw - 1 - g.pw
        gradient = PaddedPlanes(channels: outChannels, height: g.oh, width: g.ow, top: top, left: left,
                                rows: g.oh + 2 * top,
                                rowLength: max(roundUp(g.w, 16) + g.kw - 1, left + roundUp(g.ow, 8)))
        forwardOffsets = Self.offsets(input, kh: g.kh, kw: g.kw)
        inputGradientOffsets = Self.offsets(gradient, kh: g.kh, kw: g.kw)
        var padded = forwardOffsets
        while padded.count % 3 != 0 { padded.append(padded[padded.count - 1]) }
        filterGradientOffsets = padded
    }

    /// (c, i, j) -> (c·ROWS + i)·ROWLEN + j for every plane of `planes`.
    private static func offsets(_ planes: PaddedPlanes, kh: Int, kw: Int) -> [Int] {
        var offsets: [Int] = []
        for c in 0..<planes.channels { for i in 0..<kh { for j in 0..<kw {
            offsets.append((c * planes.rows + i) * planes.rowLength + j)
        } } }
        return offsets
    }

    /// Floats of the packed forward filters and of the packed flipped (dx) filters.
    public var packedCount: Int { roundUp(outChannels, 6) * taps }
    public var packedFlippedCount: Int { roundUp(inChannels, 6) * outChannels * kh * kw }
    /// Floats of the filter-gradient partial sums: (⌈O/3⌉·3, taps rounded to 3, 8 lanes).
    public var partialSumCount: Int { roundUp(outChannels, 3) * filterGradientOffsets.count * 8 }

    /// packed[(blk·taps + t)·6 + q] = w[6·blk + q, t], zero past O; w is (O, C·KH·KW) row-major.
    public func packFilters(_ w: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        packBlocks(rows: outChannels, taps: taps, into: packed) { o, t in w[o * taps + t] }
    }

    /// dx's filters: w'[c, (o, i, j)] = w[o, c, KH-1-i, KW-1-j], packed like packFilters.
    public func packFlippedFilters(_ w: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        let k = kh * kw, flippedTaps = outChannels * k
        packBlocks(rows: inChannels, taps: flippedTaps, into: packed) { c, t in
            let o = t / k, ij = t % k
            return w[(o * inChannels + c) * k + (k - 1 - ij)]
        }
    }

    @inline(__always)
    private func packBlocks(rows: Int, taps: Int, into packed: UnsafeMutablePointer<Float>,
                            _ value: (Int, Int) -> Float) {
        for blk in 0..<(roundUp(rows, 6) / 6) {
            let base = packed + blk * taps * 6
            for t in 0..<taps {
                for q in 0..<6 {
                    let r = blk * 6 + q
                    base[t * 6 + q] = r < rows ? value(r, t) : 0
                }
            }
        }
    }

    /// y (outChannels, oh, ow) of one sample from its padded input xp.
    public func forward(_ xp: UnsafePointer<Float>, _ packed: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>) {
        forwardOffsets.withUnsafeBufferPointer {
            convolve(xp, rowLength: input.rowLength, $0, packed, outChannels: outChannels, bias: bias, y, oh: oh, ow: ow)
        }
    }

    /// dx (inChannels, height, width) of one sample from its padded dy.
    public func inputGradient(_ dyp: UnsafePointer<Float>, _ packedFlipped: UnsafePointer<Float>,
                              _ dx: UnsafeMutablePointer<Float>) {
        inputGradientOffsets.withUnsafeBufferPointer {
            convolve(dyp, rowLength: gradient.rowLength, $0, packedFlipped, outChannels: inChannels, bias: nil,
                     dx, oh: height, ow: width)
        }
    }

    /// out (channels, outH, outW) = bias + Σ_t filters[t] · src[offsets[t] + row, column], for padded
    /// planes whose rows hold round16(outW) + KW - 1 floats (a 16-wide chunk never leaves its row).
    private func convolve(_ src: UnsafePointer<Float>, rowLength: Int, _ offsets: UnsafeBufferPointer<Int>,
                          _ packed: UnsafePointer<Float>, outChannels channels: Int, bias: UnsafePointer<Float>?,
                          _ out: UnsafeMutablePointer<Float>, oh outH: Int, ow outW: Int) {
        let taps = offsets.count, offset = offsets.baseAddress!
        for blk in 0..<(roundUp(channels, 6) / 6) {
            let filters = packed + blk * taps * 6
            let live = min(6, channels - blk * 6)
            for oy in 0..<outH {
                var x0 = 0
                while x0 < outW {
                    var tile = Tile6x16()
                    let origin = src + (oy &* rowLength &+ x0)
                    var f = filters, t = 0
                    while t < taps {
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
                        store8(lo + b, dst, count: n)
                        if n > 8 { store8(hi + b, dst + 8, count: n - 8) }
                    }
                    x0 += 16
                }
            }
        }
    }

    /// dyp's interior = dy (outChannels, oh, ow) of one sample; dBias[o] += Σ dy[o, :, :].
    public func fillGradient(_ dy: UnsafePointer<Float>, into dyp: UnsafeMutablePointer<Float>,
                             dBias: UnsafeMutablePointer<Float>?) {
        gradient.fill(dy, into: dyp)
        guard let dBias else { return }
        let plane = oh * ow
        for o in 0..<outChannels {
            let s = dy + o * plane
            var sum: Float = 0, i = 0
            while i < plane { sum += s[i]; i &+= 1 }
            dBias[o] += sum
        }
    }

    /// partial[(o·T + t)·8 + lane] += one sample's lane-wise sums of dy[o] · xp shifted by tap t
    /// (T = taps rounded to 3). `reduceFilterGradient` adds the lanes into dW.
    public func accumulateFilterGradient(_ xp: UnsafePointer<Float>, _ dyp: UnsafePointer<Float>,
                                         _ partial: UnsafeMutablePointer<Float>) {
        let tapCount = filterGradientOffsets.count, rowLength = input.rowLength
        let dyRowLength = gradient.rowLength, dyPlane = gradient.planeCount
        let dyOrigin = gradient.top * dyRowLength + gradient.left
        filterGradientOffsets.withUnsafeBufferPointer { offsets in
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
                            tile.accumulate(load8(s0 + xx), load8(s1 + xx), load8(s2 + xx),
                                            d0 + dx, d1 + dx, d2 + dx)
                            x &+= 8
                        }
                    }
                    tile.store(sums, stride: tapCount * 8)
                }
            }
        }
    }

    /// dW[o, t] += Σ lanes of partial[o, t] for the real channels and taps.
    public func reduceFilterGradient(_ partial: UnsafePointer<Float>, into dW: UnsafeMutablePointer<Float>) {
        let tapCount = filterGradientOffsets.count
        for o in 0..<outChannels {
            for t in 0..<taps {
                dW[o * taps + t] += load8(partial + (o * tapCount + t) * 8).sum()
            }
        }
    }
}

/// 6 output channels x 16 columns of forward sums.
private struct Tile6x16 {
    var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b1 = SIMD8<Float>()
    var a2 = SIMD8<Float>(), b2 = SIMD8<Float>(), a3 = SIMD8<Float>(), b3 = SIMD8<Float>()
    var a4 = SIMD8<Float>(), b4 = SIMD8<Float>(), a5 = SIMD8<Float>(), b5 = SIMD8<Float>()

    /// Row q += f[q] · (v0, v1) for the tap whose 6 filter values start at f.
    @inline(__always)
    mutating func accumulate(_ f: UnsafePointer<Float>, _ v0: SIMD8<Float>, _ v1: SIMD8<Float>) {
        var w = SIMD8<Float>(repeating: f[0]); multiplyAdd(&a0, w, v0); multiplyAdd(&b0, w, v1)
        w = SIMD8(repeating: f[1]); multiplyAdd(&a1, w, v0); multiplyAdd(&b1, w, v1)
        w = SIMD8(repeating: f[2]); multiplyAdd(&a2, w, v0); multiplyAdd(&b2, w, v1)
        w = SIMD8(repeating: f[3]); multiplyAdd(&a3, w, v0); multiplyAdd(&b3, w, v1)
        w = SIMD8(repeating: f[4]); multiplyAdd(&a4, w, v0); multiplyAdd(&b4, w, v1)
        w = SIMD8(repeating: f[5]); multiplyAdd(&a5, w, v0); multiplyAdd(&b5, w, v1)
    }

    @inline(__always)
    func row(_ q: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        switch q {
        case 0: return (a0, b0)
        case 1: return (a1, b1)
        case 2: return (a2, b2)
        case 3: return (a3, b3)
        case 4: return (a4, b4)
        default: return (a5, b5)
        }
    }
}

/// 3 output channels x 3 taps of filter-gradient lane sums, loaded from and stored to memory
/// (tap r of channel q at base + q·stride + r·8). Nine sums, three x vectors and one dy vector at
/// a time fit AVX2's 16 registers.
private struct Tile3x3 {
    var c00, c01, c02, c10, c11, c12, c20, c21, c22: SIMD8<Float>

    @inline(__always)
    init(_ base: UnsafePointer<Float>, stride: Int) {
        let b1 = base + stride, b2 = base + 2 * stride
        c00 = load8(base); c01 = load8(base + 8); c02 = load8(base + 16)
        c10 = load8(b1); c11 = load8(b1 + 8); c12 = load8(b1 + 16)
        c20 = load8(b2); c21 = load8(b2 + 8); c22 = load8(b2 + 16)
    }

    /// Channel q += dy_q · x_r for the three shifted input vectors x_r.
    @inline(__always)
    mutating func accumulate(_ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>,
                             _ d0: UnsafePointer<Float>, _ d1: UnsafePointer<Float>, _ d2: UnsafePointer<Float>) {
        var d = load8(d0); multiplyAdd(&c00, d, x0); multiplyAdd(&c01, d, x1); multiplyAdd(&c02, d, x2)
        d = load8(d1); multiplyAdd(&c10, d, x0); multiplyAdd(&c11, d, x1); multiplyAdd(&c12, d, x2)
        d = load8(d2); multiplyAdd(&c20, d, x0); multiplyAdd(&c21, d, x1); multiplyAdd(&c22, d, x2)
    }

    @inline(__always)
    func store(_ base: UnsafeMutablePointer<Float>, stride: Int) {
        let b1 = base + stride, b2 = base + 2 * stride
        store8(c00, base, count: 8); store8(c01, base + 8, count: 8); store8(c02, base + 16, count: 8)
        store8(c10, b1, count: 8); store8(c11, b1 + 8, count: 8); store8(c12, b1 + 16, count: 8)
        store8(c20, b2, count: 8); store8(c21, b2 + 8, count: 8); store8(c22, b2 + 16, count: 8)
    }
}
