// The PNG encoder checked independently of itself: signature, chunk layout, every CRC recomputed
// with zlib's crc32, IHDR fields, and the IDAT stream inflated with zlib's uncompress back to
// the filter-0 scanlines. Also grey-scale normalisation and upscaling.

import Core
import CZlib
import Foundation
import Reports
import XCTest

final class PNGTests: XCTestCase {
    struct Chunk { let type: String; let data: [UInt8] }

    /// Splits a PNG after its signature into chunks, failing on a wrong CRC or a short file.
    func chunks(_ png: [UInt8]) -> [Chunk] {
        var out: [Chunk] = [], at = 8
        func u32(_ i: Int) -> UInt32 { png[i..<i + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        while at + 12 <= png.count {
            let length = Int(u32(at))
            guard at + 12 + length <= png.count else { XCTFail("chunk at \(at) runs past the end"); break }
            let typed = Array(png[at + 4 ..< at + 8 + length])
            let expected = UInt32(typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) })
            let type = String(decoding: typed.prefix(4), as: UTF8.self)
            XCTAssertEqual(u32(at + 8 + length), expected, "CRC of chunk \(type)")
            out.append(Chunk(type: type, data: Array(typed.dropFirst(4))))
            at += 12 + length
        }
        XCTAssertEqual(at, png.count, "bytes after the last chunk")
        return out
    }

    func testEncodedFileIsAValidGreyPNG() throws {
        let pixels: [UInt8] = [0, 128, 255, 10, 20, 30]              // 3 x 2
        let png = PNG.encodeGray(width: 3, height: 2, pixels: pixels)
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let c = chunks(png)
        XCTAssertEqual(c.map(\.type), ["IHDR", "IDAT", "IEND"])
        XCTAssertEqual(c[0].data, [0, 0, 0, 3, 0, 0, 0, 2, 8, 0, 0, 0, 0])
        XCTAssertEqual(c[2].data, [])

        var inflated = [UInt8](repeating: 0, count: 64)
        var length = uLongf(inflated.count)
        let status = inflated.withUnsafeMutableBufferPointer { dst in
            c[1].data.withUnsafeBufferPointer { uncompress(dst.baseAddress, &length, $0.baseAddress, uLong($0.count)) }
        }
        XCTAssertEqual(status, Z_OK)
        XCTAssertEqual(Array(inflated.prefix(Int(length))), [0, 0, 128, 255, 0, 10, 20, 30])
    }

    func testLargerImageRoundTripsAndDataURI() throws {
        let w = 37, h = 11
        let pixels = (0..<w * h).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let png = PNG.encodeGray(width: w, height: h, pixels: pixels)
        let idat = chunks(png).first { $0.type == "IDAT" }!.data
        var inflated = [UInt8](repeating: 0, count: h * (w + 1) + 16)
        var length = uLongf(inflated.count)
        _ = inflated.withUnsafeMutableBufferPointer { dst in
            idat.withUnsafeBufferPointer { uncompress(dst.baseAddress, &length, $0.baseAddress, uLong($0.count)) }
        }
        var expected: [UInt8] = []
        for r in 0..<h { expected += [0] + pixels[r * w ..< (r + 1) * w] }
        XCTAssertEqual(Array(inflated.prefix(Int(length))), expected)

        let uri = PNG.dataURI(png)
        XCTAssertTrue(uri.hasPrefix("data:image/png;base64,"))
        XCTAssertEqual(Foundation.Data(base64Encoded: String(uri.dropFirst("data:image/png;base64,".count))).map(Array.init), png)
    }

    func testNormalisationAndUpscaling() {
        XCTAssertEqual(GrayImage.normalised(width: 3, height: 1, values: [-1, 0, 1]).pixels, [0, 128, 255])
        XCTAssertEqual(GrayImage.normalised(width: 2, height: 1, values: [0.7, 0.7]).pixels, [128, 128])
        XCTAssertEqual(GrayImage.normalised(width: 3, height: 1, values: [2, .nan, 4]).pixels, [0, 0, 255])
        let big = GrayImage(width: 2, height: 1, pixels: [1, 2]).upscaled(by: 2)
        XCTAssertEqual(big, GrayImage(width: 4, height: 2, pixels: [1, 1, 2, 2, 1, 1, 2, 2]))
    }
}
