// The EXIF orientation of a JPEG (TIFF tag 0x0112 in IFD0 of the APP1 "Exif\0\0" block), and the
// turn or mirror that brings the stored pixels upright, as a viewer shows them. The parser reads
// both byte orders ("II" little-endian, "MM" big-endian), checks every offset against the block's
// length and falls back to `.identity` on anything it does not understand: garbage never traps.

public enum EXIFOrientation: Int, Sendable, CaseIterable {
    case identity = 1          // stored upright
    case mirrorHorizontal = 2
    case rotate180 = 3
    case mirrorVertical = 4
    case transpose = 5         // mirror about the top-left to bottom-right diagonal
    case rotate90CW = 6        // the viewer turns the stored image a quarter clockwise
    case transverse = 7        // mirror about the top-right to bottom-left diagonal
    case rotate270CW = 8

    /// The orientation in an APP1 marker's data ("Exif\0\0" + TIFF); `.identity` when the data is
    /// not EXIF, has no orientation tag, or the tag's value is not 1...8.
    public init(exifMarker data: [UInt8]) {
        self = Self.parse(data) ?? .identity
    }

    /// True when width and height trade places.
    public var swapsSides: Bool { rawValue >= 5 }

    /// Where the upright image's top-left corner lies in upright photo pixels, for a stored image
    /// reduced by `factor` whose reduced size overshoots the stored size by `storedPadX`/`storedPadY`
    /// photo pixels (ceil(W / f) f - W): an upright axis that runs against its stored axis starts at
    /// the stored image's partial last block, so it begins `pad` pixels before the photo (origin -pad).
    public func uprightOrigin(storedPadX: Int, storedPadY: Int) -> (x: Int, y: Int) {
        // (upright x runs along stored y?, upright x reversed?, upright y reversed?)
        let (xFromY, xReversed, yReversed): (Bool, Bool, Bool)
        switch self {
        case .identity:         (xFromY, xReversed, yReversed) = (false, false, false)
        case .mirrorHorizontal: (xFromY, xReversed, yReversed) = (false, true, false)
        case .rotate180:        (xFromY, xReversed, yReversed) = (false, true, true)
        case .mirrorVertical:   (xFromY, xReversed, yReversed) = (false, false, true)
        case .transpose:        (xFromY, xReversed, yReversed) = (true, false, false)
        case .rotate90CW:       (xFromY, xReversed, yReversed) = (true, true, false)
        case .transverse:       (xFromY, xReversed, yReversed) = (true, true, true)
        case .rotate270CW:      (xFromY, xReversed, yReversed) = (true, false, true)
        }
        let padAlongX = xFromY ? storedPadY : storedPadX, padAlongY = xFromY ? storedPadX : storedPadY
        return (xReversed ? -padAlongX : 0, yReversed ? -padAlongY : 0)
    }

    /// `stored` turned upright. Output pixel (x, y) reads stored index start + x stepX + y stepY,
    /// where stored index = sy * width + sx:
    ///   2: (w-1-x, y)   3: (w-1-x, h-1-y)   4: (x, h-1-y)
    ///   5: (y, x)       6: (y, h-1-x)       7: (w-1-y, h-1-x)   8: (w-1-y, x)
    public func apply(to stored: GrayscaleImage) -> GrayscaleImage {
        guard self != .identity else { return stored }
        let w = stored.width, h = stored.height
        let last = w - 1, bottom = (h - 1) * w
        let (start, stepX, stepY): (Int, Int, Int)
        switch self {
        case .identity:         (start, stepX, stepY) = (0, 1, w)
        case .mirrorHorizontal: (start, stepX, stepY) = (last, -1, w)
        case .rotate180:        (start, stepX, stepY) = (bottom + last, -1, -w)
        case .mirrorVertical:   (start, stepX, stepY) = (bottom, 1, -w)
        case .transpose:        (start, stepX, stepY) = (0, w, 1)
        case .rotate90CW:       (start, stepX, stepY) = (bottom, -w, 1)
        case .transverse:       (start, stepX, stepY) = (bottom + last, -w, -1)
        case .rotate270CW:      (start, stepX, stepY) = (last, w, -1)
        }
        let outWidth = swapsSides ? h : w, outHeight = swapsSides ? w : h
        var out = [Float](repeating: 0, count: w * h)                    // (outHeight, outWidth)
        stored.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0 ..< outHeight {
                    var at = start + y * stepY
                    let row = dst.baseAddress! + y * outWidth
                    for x in 0 ..< outWidth {
                        row[x] = src[at]
                        at += stepX
                    }
                }
            }
        }
        return GrayscaleImage(width: outWidth, height: outHeight, pixels: out)
    }

    /// nil when the data holds no valid orientation. Offsets in TIFF count from the byte after
    /// "Exif\0\0".
    private static func parse(_ data: [UInt8]) -> EXIFOrientation? {
        guard data.starts(with: [0x45, 0x78, 0x69, 0x66, 0, 0]) else { return nil }      // "Exif\0\0"
        let tiff = Array(data.dropFirst(6))
        guard tiff.count >= 8 else { return nil }
        let bigEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): bigEndian = false            // "II"
        case (0x4D, 0x4D): bigEndian = true             // "MM"
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            let a = Int(tiff[at]), b = Int(tiff[at + 1])
            return bigEndian ? a << 8 | b : b << 8 | a
        }
        func u32(_ at: Int) -> Int? {
            guard let hi = u16(bigEndian ? at : at + 2), let lo = u16(bigEndian ? at + 2 : at) else { return nil }
            return hi << 16 | lo
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for i in 0 ..< entries {
            let entry = ifd + 2 + 12 * i                  // tag u16, type u16, count u32, value 4 bytes
            guard let tag = u16(entry) else { return nil }
            guard tag == 0x0112 else { continue }
            guard let type = u16(entry + 2), let count = u32(entry + 4), count >= 1 else { return nil }
            // SHORT (3) per the standard; a LONG (4) from a careless writer holds the same value
            let value = type == 3 ? u16(entry + 8) : type == 4 ? u32(entry + 8) : nil
            return value.flatMap { EXIFOrientation(rawValue: $0) }
        }
        return nil
    }
}
