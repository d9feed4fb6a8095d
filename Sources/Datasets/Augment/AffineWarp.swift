// The affine part of augmentation: shift, rotation, scale and shear about the image centre
// ((W-1)/2, (H-1)/2, pixel centres at integer coordinates), sampled bilinearly; whatever falls
// outside the source is background 0. It works on one (H, W) plane of [0, 1] pixels, before
// mean/std normalisation, so background stays 0 in the pixel domain.
//
// Forward map: p' = c + t + M (p - c) with M = R(angle) · Shear(shear) · scale, where
// R = [[cos, sin], [-sin, cos]] turns counter-clockwise as shown (y points down) and
// Shear = [[1, tan], [0, 1]]. Each destination pixel samples the source at the inverse map.

import Foundation

public struct AffineWarp: Equatable, Sendable {
    /// Destination (x, y) reads the source at (a x + b y + c, d x + e y + f).
    public var a: Float, b: Float, c: Float, d: Float, e: Float, f: Float

    /// The warp that shifts by (shiftX, shiftY) px, turns by `angle` degrees, scales by `scale`
    /// (> 0) and shears by `shear` degrees (|shear| < 90) a width x height image.
    public init(shiftX: Double = 0, shiftY: Double = 0, angle: Double = 0, scale: Double = 1, shear: Double = 0,
                width: Int, height: Int) {
        let theta = angle * .pi / 180, cosT = cos(theta), sinT = sin(theta), tanS = tan(shear * .pi / 180)
        // M = R · Shear · scale
        let m00 = scale * cosT, m01 = scale * (cosT * tanS + sinT)
        let m10 = -scale * sinT, m11 = scale * (cosT - sinT * tanS)
        let det = m00 * m11 - m01 * m10                  // scale² (rotation and shear keep area)
        let i00 = m11 / det, i01 = -m01 / det, i10 = -m10 / det, i11 = m00 / det
        // p = c + M⁻¹ (p' - c - t) = M⁻¹ p' + (c - M⁻¹ (c + t))
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        let tx = cx + shiftX, ty = cy + shiftY
        a = Float(i00); b = Float(i01); c = Float(cx - (i00 * tx + i01 * ty))
        d = Float(i10); e = Float(i11); f = Float(cy - (i10 * tx + i11 * ty))
    }

    /// The warp of one sample's draw.
    public init(_ draw: AugmentDraw, width: Int, height: Int) {
        self.init(shiftX: draw.shiftX, shiftY: draw.shiftY, angle: draw.angle, scale: draw.scale, shear: draw.shear,
                  width: width, height: height)
    }

    /// Whether every pixel samples exactly itself.
    public var isIdentity: Bool { a == 1 && b == 0 && c == 0 && d == 0 && e == 1 && f == 0 }

    /// Writes the warped `source` plane (height, width) to `destination` (a different buffer of
    /// the same size). A sample point on a pixel centre copies that pixel exactly.
    public func apply(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, width: Int, height: Int) {
        let w = Float(width), h = Float(height)
        for y in 0..<height {
            let fy = Float(y), rowX = b * fy + c, rowY = e * fy + f
            let out = destination + y * width
            for x in 0..<width {
                let sx = a * Float(x) + rowX, sy = d * Float(x) + rowY
                // entirely outside (also NaN): all four neighbours are background
                guard sx > -1, sx < w, sy > -1, sy < h else { out[x] = 0; continue }
                // floor by truncation (sx + 1 > 0): one instruction where floorf may be a call
                let x0 = Int(sx + 1) - 1, y0 = Int(sy + 1) - 1
                let wx = sx - Float(x0), wy = sy - Float(y0)
                let p00: Float, p10: Float, p01: Float, p11: Float
                if x0 >= 0 && x0 < width - 1 && y0 >= 0 && y0 < height - 1 {   // all four inside
                    let p = source + y0 * width + x0
                    p00 = p[0]; p10 = p[1]; p01 = p[width]; p11 = p[width + 1]
                } else {
                    @inline(__always) func pixel(_ px: Int, _ py: Int) -> Float {
                        px >= 0 && px < width && py >= 0 && py < height ? source[py * width + px] : 0
                    }
                    p00 = pixel(x0, y0); p10 = pixel(x0 + 1, y0); p01 = pixel(x0, y0 + 1); p11 = pixel(x0 + 1, y0 + 1)
                }
                let top = (1 - wx) * p00 + wx * p10, bottom = (1 - wx) * p01 + wx * p11
                out[x] = (1 - wy) * top + wy * bottom
            }
        }
    }
}
