// im2col / col2im over a whole batch, the layout that turns convolution into one GEMM.
//
//   x    : (N, C, H, W)
//   cols : (C*KH*KW, N*OH*OW)   row (c, i, j), column (n, oh, ow)
//   cols[(c*KH + i)*KW + j][n*OH*OW + oh*OW + ow] = x[n, c, oh*SH - PH + i, ow*SW - PW + j]  (0 outside)
//
// col2im is the adjoint: it accumulates every column entry back into dx (dx must be zeroed first).
// Rows are short (OW floats), so copies are plain loops the compiler vectorises rather than memcpy
// calls; stride 1 (the common case) has its own loop without the stride multiply.

import Core

public struct ConvGeometry: Equatable, Sendable {
    public var c: Int, h: Int, w: Int          // input channels and size
    public var kh: Int, kw: Int                // kernel
    public var sh: Int, sw: Int                // stride
    public var ph: Int, pw: Int                // zero padding
    /// Output size rounded up (ceil-mode pooling only: im2col and the direct kernels never see it).
    public var ceil: Bool
    public var oh: Int { windowOutputSize(h, kernel: kh, stride: sh, pad: ph, ceil: ceil) }
    public var ow: Int { windowOutputSize(w, kernel: kw, stride: sw, pad: pw, ceil: ceil) }
    /// Whether some window runs past the bottom or right edge of the padded input (ceil mode).
    public var overhangs: Bool {
        (oh - 1) * sh + kh > h + 2 * ph || (ow - 1) * sw + kw > w + 2 * pw
    }
    public var rows: Int { c * kh * kw }        // rows of cols = GEMM K of the forward product
    public init(c: Int, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int, ceil: Bool = false) {
        self.c = c; self.h = h; self.w = w; self.kh = kh; self.kw = kw
        self.sh = sh; self.sw = sw; self.ph = ph; self.pw = pw; self.ceil = ceil
    }
}

@inline(__always)
private func zeroRun(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i < count { p[i] = 0; i += 1 }
}

public func im2col(_ x: UnsafePointer<Float>, batch n: Int, _ g: ConvGeometry,
                   _ cols: UnsafeMutablePointer<Float>) {
    let oh = g.oh, ow = g.ow, ohw = oh * ow, hw = g.h * g.w, ldc = n * ohw
    let sw = g.sw, sh = g.sh, gw = g.w, gh = g.h
    for c in 0..<g.c {
        for i in 0..<g.kh {
            // valid oh range where 0 <= oh*sh - ph + i < h
            let ohLo = min(oh, max(0, (g.ph - i + sh - 1) / sh))
            let ohHi = max(ohLo, min(oh, max(0, (gh + g.ph - i + sh - 1) / sh)))
            for j in 0..<g.kw {
                let row = cols + ((c * g.kh + i) * g.kw + j) * ldc
                // valid ow range where 0 <= ow*sw - pw + j < w
                let owLo = min(ow, max(0, (g.pw - j + sw - 1) / sw))
                let owHi = max(owLo, min(ow, max(0, (gw + g.pw - j + sw - 1) / sw)))
                let offset = (ohLo &* sh &- g.ph &+ i) &* gw &- g.pw &+ j    // x offset of (ohLo, 0)
                for b in 0..<n {
                    let dstBase = row + b &* ohw
                    zeroRun(dstBase, ohLo &* ow)
                    var dst = dstBase + ohLo &* ow
                    var srow = x + ((b &* g.c &+ c) &* hw &+ offset)
                    if sw == 1 {
                        for _ in ohLo..<ohHi {
                            var x0 = 0
                            while x0 < owLo { dst[x0] = 0; x0 &+= 1 }
                            while x0 < owHi { dst[x0] = srow[x0]; x0 &+= 1 }
                            while x0 < ow { dst[x0] = 0; x0 &+= 1 }
                            dst += ow; srow += sh &* gw
                        }
                    } else {
                        for _ in ohLo..<ohHi {
                            var x0 = 0
                            while x0 < owLo { dst[x0] = 0; x0 &+= 1 }
                            while x0 < owHi { dst[x0] = srow[x0 &* sw]; x0 &+= 1 }
                            while x0 < ow { dst[x0] = 0; x0 &+= 1 }
                            dst += ow; srow += sh &* gw
                        }
                    }
                    zeroRun(dstBase + ohHi &* ow, (oh &- ohHi) &* ow)
                }
            }
        }
    }
}

/// dx += col2im(dcols). dx is (N, C, H, W); dcols has im2col's layout.
public func col2im(_ dcols: UnsafePointer<Float>, batch n: Int, _ g: ConvGeometry,
                   _ dx: UnsafeMutablePointer<Float>) {
    let oh = g.oh, ow = g.ow, ohw = oh * ow, hw = g.h * g.w, ldc = n * ohw
    let sw = g.sw, sh = g.sh, gw = g.w, gh = g.h
    for c in 0..<g.c {
        for i in 0..<g.kh {
            let ohLo = min(oh, max(0, (g.ph - i + sh - 1) / sh))
            let ohHi = max(ohLo, min(oh, max(0, (gh + g.ph - i + sh - 1) / sh)))
            for j in 0..<g.kw {
                let row = dcols + ((c * g.kh + i) * g.kw + j) * ldc
                let owLo = min(ow, max(0, (g.pw - j + sw - 1) / sw))
                let owHi = max(owLo, min(ow, max(0, (gw + g.pw - j + sw - 1) / sw)))
                if owLo >= owHi { continue }
                let offset = (ohLo &* sh &- g.ph &+ i) &* gw &- g.pw &+ j
                for b in 0..<n {
                    var src = row + (b &* ohw &+ ohLo &* ow)
                    var drow = dx + ((b &* g.c &+ c) &* hw &+ offset)
                    for _ in ohLo..<ohHi {
                        var x0 = owLo
                        if sw == 1 {
                            while x0 < owHi { drow[x0] += src[x0]; x0 &+= 1 }
                        } else {
                            while x0 < owHi { drow[x0 &* sw] += src[x0]; x0 &+= 1 }
                        }
                        src += ow; drow += sh &* gw
                    }
                }
            }
        }
    }
}
