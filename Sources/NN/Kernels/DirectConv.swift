// Direct convolution for stride-1 layers with few filters (LeNet's conv1 and conv2). There im2col +
// sgemm fits badly: the products have M = 6 or 16 rows, below BLAS's 16-row micro-tile, and copying
// the columns costs as much as multiplying them. These kernels read a zero-padded copy of each
// plane instead of columns and keep a tile of SIMD8 sums in registers (Kernels/SIMDTiles.swift).
//
//   padded planes : (C, ROWS, ROWLEN)  xp[c, y + top, x + left] = x[c, y, x], zero elsewhere; rows
//                   are long enough for a whole 16-wide output chunk plus the kernel's width
//   forward       : y[o, oy, ox] = bias[o] + Σ_{c,i,j} w[o, c, i, j] · xp[c, oy + i, ox + j]
//   filter grad   : dW[o, c, i, j] += Σ_{oy,ox} dy[o, oy, ox] · xp[c, oy + i, ox + j]
//   input grad    : the forward convolution of dy padded by (KH-1-PH, KW-1-PW) with the filters
//                   transposed and flipped: dx[c, y, x] = Σ_{o,i,j} w[o, c, KH-1-i, KW-1-j] · dyp[o, y+i, x+j]
//
// Each of the three products runs vectorised along output rows (DirectConvRows.swift) or along
// channels (DirectConvChannels.swift), whichever leaves fewer SIMD lanes idle for the shape.
// Built with AVX2 + FMA where the building machine has them (Package.swift defines DTRAIN_FMA);
// elsewhere SIMD8 arithmetic falls back to separate multiply and add.

import Core

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

/// The geometry of one stride-1 convolution run directly: its padded layouts, which way each
/// product is vectorised, and the offset tables the kernels walk.
public struct DirectConvolution: Sendable {
    public enum Vectorization: String, Sendable { case rows, channels }

    public let inChannels: Int, outChannels: Int
    public let kh: Int, kw: Int
    public let height: Int, width: Int          // input plane
    public let oh: Int, ow: Int                 // output plane
    public let input: PaddedPlanes              // x padded by (PH, PW)
    public let gradient: PaddedPlanes           // dy padded by (KH-1-PH, KW-1-PW)
    public let forwardUnits: Vectorization, inputGradientUnits: Vectorization, filterGradientUnits: Vectorization
    public var taps: Int { inChannels * kh * kw }

    /// Offsets of every tap inside its padded planes, relative to output (0, 0): forward taps
    /// (c, i, j) in the input; dx taps (i, o, j) in padded dy; filter-gradient taps = forward taps
    /// padded to the tile (3 rows or 6 channels) with the last real tap (computed, then dropped).
    let forwardOffsets: [Int], inputGradientOffsets: [Int], filterGradientOffsets: [Int]
    /// dx row y reads padded dy rows y + i; those outside dy's interior are zero, so the row
    /// kernel runs only taps [lo, hi) = those with i in range (dx taps are ordered i first): for
    /// LeNet's conv2 that skips 29% of dx's multiply-adds. Pairs (lo, hi) for y in 0..<H.
    let inputGradientRowTaps: [Int]
    /// Offset of every output pixel's (0, 0) tap in the padded source, padded to a multiple of 6
    /// with the last pixel: forward over (OH, OW) in the input, dx over (H, W) in padded dy.
    let forwardPixels: [Int], inputGradientPixels: [Int]

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
        forwardUnits = Self.convolutionUnits(channels: outChannels, width: g.ow, pixels: g.oh * g.ow)
        inputGradientUnits = Self.convolutionUnits(channels: g.c, width: g.w, pixels: g.h * g.w)
        let taps = g.c * g.kh * g.kw
        let rowsShare = Self.busy(g.ow, 8) * Self.busy(outChannels, 3) * Self.busy(taps, 3)
        let channelsShare = Self.busy(outChannels, 16) * Self.busy(taps, 6)
        filterGradientUnits = channelsShare > rowsShare ? .channels : .rows
        forwardOffsets = Self.offsets(input, kh: g.kh, kw: g.kw)
        var dxOffsets: [Int] = [], rowTaps: [Int] = []
        for i in 0..<g.kh { for o in 0..<outChannels { for j in 0..<g.kw {
            dxOffsets.append((o * gradient.rows + i) * gradient.rowLength + j)
        } } }
        for y in 0..<g.h {
            let iLo = max(0, top - y), iHi = max(iLo, min(g.kh, top + g.oh - y))
            rowTaps += [iLo * outChannels * g.kw, iHi * outChannels * g.kw]
        }
        inputGradientOffsets = dxOffsets
        inputGradientRowTaps = rowTaps
        filterGradientOffsets = Self.padded(forwardOffsets, to: filterGradientUnits == .rows ? 3 : 6)
        forwardPixels = Self.padded(Self.pixels(rows: g.oh, columns: g.ow, rowLength: input.rowLength), to: 6)
        inputGradientPixels = Self.padded(Self.pixels(rows: g.h, columns: g.w, rowLength: gradient.rowLength), to: 6)
    }

    /// The share of SIMD lanes doing useful work, rows (16 columns x 6 channels) against channels
    /// (16 channels x 6 pixels), for a convolution producing `channels` planes of `pixels`.
    private static func convolutionUnits(channels: Int, width: Int, pixels: Int) -> Vectorization {
        busy(channels, 16) * busy(pixels, 6) > busy(width, 16) * busy(channels, 6) ? .channels : .rows
    }

    private static func busy(_ n: Int, _ tile: Int) -> Double { Double(n) / Double(roundUp(n, tile)) }

    /// (c, i, j) -> (c·ROWS + i)·ROWLEN + j for every plane of `planes`.
    private static func offsets(_ planes: PaddedPlanes, kh: Int, kw: Int) -> [Int] {
        var offsets: [Int] = []
        for c in 0..<planes.channels { for i in 0..<kh { for j in 0..<kw {
            offsets.append((c * planes.rows + i) * planes.rowLength + j)
        } } }
        return offsets
    }

    private static func pixels(rows: Int, columns: Int, rowLength: Int) -> [Int] {
        (0..<rows).flatMap { y in (0..<columns).map { y * rowLength + $0 } }
    }

    private static func padded(_ table: [Int], to multiple: Int) -> [Int] {
        table + Array(repeating: table[table.count - 1], count: roundUp(table.count, multiple) - table.count)
    }

    // MARK: filters

    /// Floats of the packed forward filters and of the packed flipped (dx) filters.
    public var packedCount: Int { Self.packedCount(rows: outChannels, taps: taps, forwardUnits) }
    public var packedFlippedCount: Int { Self.packedCount(rows: inChannels, taps: outChannels * kh * kw, inputGradientUnits) }

    private static func packedCount(rows: Int, taps: Int, _ units: Vectorization) -> Int {
        units == .rows ? roundUp(rows, 6) * taps : taps * roundUp(rows, 16)
    }

    /// The forward filters w (O, C·KH·KW) in the layout of `forwardUnits`.
    public func packFilters(_ w: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        let taps = taps
        Self.pack(rows: outChannels, taps: taps, forwardUnits, into: packed) { o, t in w[o * taps + t] }
    }

    /// dx's filters w'[c, (i, o, j)] = w[o, c, KH-1-i, KW-1-j] in the layout of `inputGradientUnits`.
    public func packFlippedFilters(_ w: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        let c = inChannels, o = outChannels, kh = kh, kw = kw
        Self.pack(rows: inChannels, taps: o * kh * kw, inputGradientUnits, into: packed) { r, t in
            let i = t / (o * kw), oc = t / kw % o, j = t % kw
            return w[((oc * c + r) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)]
        }
    }

    /// rows:     packed[(blk·taps + t)·6 + q] = value(6·blk + q, t), zero past `rows`
    /// channels: packed[t·R16 + r] = value(r, t), zero past `rows`
    @inline(__always)
    private static func pack(rows: Int, taps: Int, _ units: Vectorization, into packed: UnsafeMutablePointer<Float>,
                             _ value: (Int, Int) -> Float) {
        switch units {
        case .rows:
            for blk in 0..<(roundUp(rows, 6) / 6) {
                let base = packed + blk * taps * 6
                for t in 0..<taps {
                    for q in 0..<6 {
                        let r = blk * 6 + q
                        base[t * 6 + q] = r < rows ? value(r, t) : 0
                    }
                }
            }
        case .channels:
            let stride16 = roundUp(rows, 16)
            for t in 0..<taps {
                for r in 0..<stride16 { packed[t * stride16 + r] = r < rows ? value(r, t) : 0 }
            }
        }
    }

    // MARK: passes

    /// y (outChannels, oh, ow) of one sample from its padded input xp.
    public func forward(_ xp: UnsafePointer<Float>, _ packed: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, relu: Bool, _ y: UnsafeMutablePointer<Float>) {
        forwardOffsets.withUnsafeBufferPointer { offsets in
            switch forwardUnits {
            case .rows:
                convolveRows(xp, rowLength: input.rowLength, offsets, rowTaps: nil, packed, channels: outChannels,
                             bias: bias, relu: relu, y, oh: oh, ow: ow)
            case .channels:
                forwardPixels.withUnsafeBufferPointer {
                    convolveChannels(xp, offsets, $0, pixelCount: oh * ow, packed, channels: outChannels, bias: bias,
                                     relu: relu, y)
                }
            }
        }
    }

    /// Floats of one sample's dy copies: padded (row filter gradient, dx), transposed (channels).
    public var scratchCount: Int { gradient.count + oh * ow * roundUp(outChannels, 16) }
    /// Floats of the filter-gradient partial sums: rows (O rounded to 3, T, 8 lanes); channels (T, O16).
    public var partialSumCount: Int {
        filterGradientUnits == .rows ? roundUp(outChannels, 3) * filterGradientOffsets.count * 8
                                     : filterGradientOffsets.count * roundUp(outChannels, 16)
    }

    /// One sample's backward: partial += its filter-gradient sums, and dx (when asked) from the
    /// packed flipped filters (the bias gradient is the layer's: Conv2D's addPlaneSums). xp is the sample's padded input from forward;
    /// scratch holds scratchCount floats whose padding is zero (zeroed once, never written).
    public func backward(_ xp: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                         partial: UnsafeMutablePointer<Float>, flipped: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?) {
        let dyp = scratch, dyT = scratch + gradient.count
        if dx != nil || filterGradientUnits == .rows { gradient.fill(dy, into: dyp) }
        filterGradientOffsets.withUnsafeBufferPointer { offsets in
            switch filterGradientUnits {
            case .rows:
                filterGradientRows(xp, dyp, offsets, partial)
            case .channels:
                transposeGradient(dy, into: dyT)
                forwardPixels.withUnsafeBufferPointer { filterGradientChannels(xp, dyT, offsets, $0, partial) }
            }
        }
        guard let dx else { return }
        inputGradientOffsets.withUnsafeBufferPointer { offsets in
            switch inputGradientUnits {
            case .rows:
                inputGradientRowTaps.withUnsafeBufferPointer {
                    convolveRows(dyp, rowLength: gradient.rowLength, offsets, rowTaps: $0.baseAddress, flipped,
                                 channels: inChannels, bias: nil, relu: false, dx, oh: height, ow: width)
                }
            case .channels:
                inputGradientPixels.withUnsafeBufferPointer {
                    convolveChannels(dyp, offsets, $0, pixelCount: height * width, flipped, channels: inChannels,
                                     bias: nil, relu: false, dx)
                }
            }
        }
    }

    /// dW[o, t] += the partial sums of every sample (lanes added for rows).
    public func reduceFilterGradient(_ partial: UnsafePointer<Float>, into dW: UnsafeMutablePointer<Float>) {
        let tapCount = filterGradientOffsets.count, stride16 = roundUp(outChannels, 16)
        for o in 0..<outChannels {
            for t in 0..<taps {
                switch filterGradientUnits {
                case .rows: dW[o * taps + t] += load8(partial + (o * tapCount + t) * 8).sum()
                case .channels: dW[o * taps + t] += partial[t * stride16 + o]
                }
            }
        }
    }
}
