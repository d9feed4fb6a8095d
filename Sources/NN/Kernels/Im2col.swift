// im2col / col2im over a whole batch, the layout that turns convolution into one GEMM.
//
//   x    : (N, C, H, W)
//   cols : (C*KH*KW, N*OH*OW)   row (c, i, j), column (n, oh, ow)
//   cols[(c*KH + i)*KW + j][n*OH*OW + oh*OW + ow] = x[n, c, oh*SH - PH + i, ow*SW - PW + j]  (0 outside)
//
// col2im is the adjoint: it accumulates every column entry back into dx (dx must be zeroed first).

public struct ConvGeometry: Equatable, Sendable {
    public var c: Int, h: Int, w: Int          // input channels and size
    public var kh: Int, kw: Int                // kernel
    public var sh: Int, sw: Int                // stride
    public var ph: Int, pw: Int                // zero padding
    public var oh: Int { windowOutputSize(h, kernel: kh, stride: sh, pad: ph) }
    public var ow: Int { windowOutputSize(w, kernel: kw, stride: sw, pad: pw) }
    public var rows: Int { c * kh * kw }        // rows of cols = GEMM K of the forward product
    public init(c: Int, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int) {
        self.c = c; self.h = h; self.w = w; self.kh = kh; self.kw = kw
        self.sh = sh; self.sw = sw; self.ph = ph; self.pw = pw
    }
}

public func im2col(_ x: UnsafePointer<Float>, batch n: Int, _ g: ConvGeometry,
                   _ cols: UnsafeMutablePointer<Float>) {
    let oh = g.oh, ow = g.ow, ohw = oh * ow, hw = g.h * g.w, ldc = n * ohw
    for c in 0..<g.c {
        for i in 0..<g.kh {
            for j in 0..<g.kw {
                let row = cols + ((c * g.kh + i) * g.kw + j) * ldc
                // valid ow range where 0 <= ow*sw - pw + j < w
                let owLo = max(0, (g.pw - j + g.sw - 1) / g.sw)
                let owHi = min(ow, max(0, (g.w + g.pw - j + g.sw - 1) / g.sw))
                for b in 0..<n {
                    let src = x + (b * g.c + c) * hw
                    let dstBase = row + b * ohw
                    for y in 0..<oh {
                        let iy = y * g.sh - g.ph + i
                        let dst = dstBase + y * ow
                        if iy < 0 || iy >= g.h || owLo >= owHi {
                            dst.update(repeating: 0, count: ow)
                            continue
                        }
                        if owLo > 0 { dst.update(repeating: 0, count: owLo) }
                        if owHi < ow { (dst + owHi).update(repeating: 0, count: ow - owHi) }
                        let srow = src + iy * g.w - g.pw + j
                        if g.sw == 1 {
                            (dst + owLo).update(from: srow + owLo, count: owHi - owLo)
                        } else {
                            var x0 = owLo
                            while x0 < owHi { dst[x0] = srow[x0 * g.sw]; x0 += 1 }
                        }
                    }
                }
            }
        }
    }
}

/// dx += col2im(dcols). dx is (N, C, H, W); dcols has im2col's layout.
public func col2im(_ dcols: UnsafePointer<Float>, batch n: Int, _ g: ConvGeometry,
                   _ dx: UnsafeMutablePointer<Float>) {
    let oh = g.oh, ow = g.ow, ohw = oh * ow, hw = g.h * g.w, ldc = n * ohw
    for c in 0..<g.c {
        for i in 0..<g.kh {
            for j in 0..<g.kw {
                let row = dcols + ((c * g.kh + i) * g.kw + j) * ldc
                let owLo = max(0, (g.pw - j + g.sw - 1) / g.sw)
                let owHi = min(ow, max(0, (g.w + g.pw - j + g.sw - 1) / g.sw))
                if owLo >= owHi { continue }
                for b in 0..<n {
                    let dst = dx + (b * g.c + c) * hw
                    let srcBase = row + b * ohw
                    for y in 0..<oh {
                        let iy = y * g.sh - g.ph + i
                        if iy < 0 || iy >= g.h { continue }
                        let src = srcBase + y * ow
                        let drow = dst + iy * g.w - g.pw + j
                        var x0 = owLo
                        if g.sw == 1 {
                            while x0 < owHi { drow[x0] += src[x0]; x0 += 1 }
                        } else {
                            while x0 < owHi { drow[x0 * g.sw] += src[x0]; x0 += 1 }
                        }
                    }
                }
            }
        }
    }
}
