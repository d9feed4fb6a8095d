// Helpers for the image decoder tests: the committed fixture files (made by
// Fixtures/make_fixtures.py, found through #filePath), tolerant pixel comparison, PNG chunk
// building with a correct CRC, and finding a JPEG marker segment to patch.

import Core
import CZlib
import Datasets
import Foundation
import XCTest

enum ImageFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/images").path

    static func path(_ name: String) -> String { folder + "/" + name }

    static func bytes(_ name: String) throws -> [UInt8] { try readFileBytes(path: path(name)) }

    /// Decodes a fixture from its file.
    static func decode(_ name: String, _ options: ImageDecodeOptions = .init()) throws -> DecodedImage {
        try ImageDecoder.decode(path: path(name), options: options)
    }

    /// A PNG chunk: length, type, data, CRC-32 over type and data.
    static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        return bigEndian32(UInt32(data.count)) + body + bigEndian32(crc)
    }

    static func bigEndian32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    /// The offset of the first JPEG marker FF `code` after SOI (walking the segment lengths), or nil.
    static func jpegSegment(_ jpeg: [UInt8], _ code: UInt8) -> Int? {
        var at = 2
        while at + 4 <= jpeg.count, jpeg[at] == 0xFF {
            if jpeg[at + 1] == code { return at }
            at += 2 + (Int(jpeg[at + 2]) << 8 | Int(jpeg[at + 3]))
        }
        return nil
    }
}

/// Asserts every pixel of `image` is within `tolerance` of `expected(x, y)`.
func assertPixels(_ image: GrayscaleImage, within tolerance: Float, _ what: String,
                  file: StaticString = #filePath, line: UInt = #line, _ expected: (Int, Int) -> Float) {
    var worst: (x: Int, y: Int, diff: Float) = (0, 0, 0)
    for y in 0 ..< image.height {
        for x in 0 ..< image.width {
            let diff = abs(image[x, y] - expected(x, y))
            if diff > worst.diff { worst = (x, y, diff) }
        }
    }
    XCTAssertLessThanOrEqual(worst.diff, tolerance,
                             "\(what): pixel (\(worst.x), \(worst.y)) is \(image[worst.x, worst.y]), expected \(expected(worst.x, worst.y))",
                             file: file, line: line)
}
