// A minimal PNG encoder for 8-bit grey-scale images: signature, IHDR, one zlib-compressed IDAT
// (every scanline with filter type 0), IEND, each chunk with its CRC-32. This is the only file
// of the module that calls zlib. No colour, no interlacing, no ancillary chunks.

import Core
import CZlib
import Foundation

public enum PNG {
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The PNG file of a `width` x `height` grey image, `pixels` row-major, 0 black, 255 white.
    public static func encodeGray(width: Int, height: Int, pixels: [UInt8]) -> [UInt8] {
        precondition(width > 0 && height > 0 && pixels.count == width * height,
                     "PNG.encodeGray: \(pixels.count) pixels for \(width)x\(height)")
        var scanlines = [UInt8]()                    // (height, 1 + width): filter byte then row
        scanlines.reserveCapacity(height * (width + 1))
        for row in 0..<height {
            scanlines.append(0)
            scanlines += pixels[row * width ..< (row + 1) * width]
        }
        var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, 0, 0, 0, 0]                    // bit depth 8, grey, deflate, filter 0, no interlace
        return signature + chunk("IHDR", header) + chunk("IDAT", deflate(scanlines)) + chunk("IEND", [])
    }

    /// `png` as a data: URI for an <img> or SVG <image>.
    public static func dataURI(_ png: [UInt8]) -> String {
        "data:image/png;base64," + Foundation.Data(png).base64EncodedString()
    }

    /// CRC-32 (zlib's) of `bytes`, as PNG chunks carry it.
    public static func crc(_ bytes: [UInt8]) -> UInt32 {
        UInt32(bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) })
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc(typed))
    }

    /// zlib stream (header, deflate, Adler-32) of `bytes` at the best compression level.
    private static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = out.withUnsafeMutableBufferPointer { dst in
            bytes.withUnsafeBufferPointer { src in
                compress2(dst.baseAddress, &capacity, src.baseAddress, uLong(src.count), Z_BEST_COMPRESSION)
            }
        }
        // compressBound guarantees room, so only memory exhaustion can fail here.
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        return Array(out.prefix(Int(capacity)))
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }
}
