// The header of a PixelCache file: one 4096-byte page, then the payload (count x C x H x W u8
// pixels, NCHW), which therefore starts page-aligned, then — for a labelled file (classes > 0) —
// the labels, count Int32 little-endian, each in 0..<classes. Little-endian:
//   0 magic "DTRNPIX\0" (8 bytes) | 8 version u32 | 12 key length u32 | 16 count u64 |
//   24 channels u32 | 28 height u32 | 32 width u32 | 36 classes u32 (0: no labels stored) |
//   40 the key's UTF-8 bytes
// A header is read only with C, H, W > 0, C x H x W <= PixelCache.maxImageBytes and count < 2^31
// (so its sizes cannot overflow); a file is valid for (key, count, C, H, W, classes) when every
// field matches and the file is exactly header + payload (+ labels) bytes long. There is no
// payload checksum: the file is only ever published whole (written, fsynced, renamed), so a wrong
// header or length is what a damaged file looks like.

import Core

struct PixelCacheHeader: Equatable {
    static let size = 4096
    static let magic: [UInt8] = Array("DTRNPIX\0".utf8)
    static let version: UInt32 = 1
    static let keyOffset = 40
    static let maxKeyBytes = size - keyOffset

    var key: [UInt8]
    var count: Int
    var channels: Int, height: Int, width: Int
    /// 0 for a pixels-only file (the caller has the labels); else the labels follow the pixels.
    var classes: Int = 0

    /// Pixel bytes after the header.
    var payloadBytes: Int { count * channels * height * width }
    var labelBytes: Int { classes > 0 ? 4 * count : 0 }
    var fileBytes: Int { Self.size + payloadBytes + labelBytes }

    /// Writes the header into `page` (`size` bytes, zeroed beyond the fields).
    func write(to page: UnsafeMutableRawPointer) {
        page.initializeMemory(as: UInt8.self, repeating: 0, count: Self.size)
        page.copyMemory(from: Self.magic, byteCount: 8)
        page.storeBytes(of: Self.version.littleEndian, toByteOffset: 8, as: UInt32.self)
        page.storeBytes(of: UInt32(key.count).littleEndian, toByteOffset: 12, as: UInt32.self)
        page.storeBytes(of: UInt64(count).littleEndian, toByteOffset: 16, as: UInt64.self)
        page.storeBytes(of: UInt32(channels).littleEndian, toByteOffset: 24, as: UInt32.self)
        page.storeBytes(of: UInt32(height).littleEndian, toByteOffset: 28, as: UInt32.self)
        page.storeBytes(of: UInt32(width).littleEndian, toByteOffset: 32, as: UInt32.self)
        page.storeBytes(of: UInt32(classes).littleEndian, toByteOffset: 36, as: UInt32.self)
        key.withUnsafeBytes { (page + Self.keyOffset).copyMemory(from: $0.baseAddress!, byteCount: key.count) }
    }

    /// The header stored in `page` (`size` bytes); nil when the magic, version or key length is
    /// wrong, there are 2^31 images or more, or a side is 0 or an image over PixelCache.maxImageBytes.
    static func read(from page: UnsafeRawPointer) -> PixelCacheHeader? {
        guard (0 ..< 8).allSatisfy({ page.load(fromByteOffset: $0, as: UInt8.self) == magic[$0] }),
              UInt32(littleEndian: page.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) == version else { return nil }
        let keyLength = Int(UInt32(littleEndian: page.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        guard keyLength <= maxKeyBytes else { return nil }
        let count = UInt64(littleEndian: page.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        guard count <= UInt64(Int32.max) else { return nil }
        func u32(_ offset: Int) -> Int { Int(UInt32(littleEndian: page.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) }
        let channels = u32(24), height = u32(28), width = u32(32)
        // each side > 0 and an image of at most maxImageBytes, so that fileBytes cannot overflow
        let (area, areaOverflow) = height.multipliedReportingOverflow(by: width)
        let (image, imageOverflow) = area.multipliedReportingOverflow(by: channels)
        guard channels > 0, height > 0, width > 0, !areaOverflow, !imageOverflow, image <= PixelCache.maxImageBytes else {
            return nil
        }
        let key = Array(UnsafeRawBufferPointer(start: page + keyOffset, count: keyLength))
        return PixelCacheHeader(key: key, count: Int(count), channels: channels, height: height, width: width,
                                classes: u32(36))
    }
}
