// ImageDecoder on files it must refuse, each with one InputError line naming the file: empty,
// not an image, over the file-size or pixel limit (a header claiming 100000x100000 must be
// refused from the header alone: allocating its 40 GB of floats would kill the test), truncated
// and corrupt PNG/JPEG (libpng's or libjpeg's words quoted), 12-bit JPEG, bad PGM/PPM headers.

import Core
import Datasets
import Foundation
import XCTest

final class ImageDecoderErrorTests: XCTestCase {
    func testEmptyAndNonImageFiles() throws {
        let scratch = try scratchDirectory(self)
        try writeFile(scratch + "/empty.png", [])
        try writeFile(scratch + "/notes.txt", Array("Hello, these are digits: 1 2 3\n".utf8))
        assertInputError(try ImageDecoder.decode(path: scratch + "/empty.png"), mentions: scratch + "/empty.png", "empty file")
        assertInputError(try ImageDecoder.decode(path: scratch + "/notes.txt"), mentions: scratch + "/notes.txt",
                         "not an image", "PNG, JPEG, PGM (P2/P5) or PPM (P3/P6)")
        assertInputError(try ImageDecoder.decode(path: scratch + "/missing.png"), mentions: scratch + "/missing.png", "cannot open")
        assertInputError(try ImageDecoder.decode(path: scratch), mentions: scratch, "regular")
        assertInputError(try ImageDecoder.decode(bytes: [], name: "mem"), mentions: "mem: empty file")
        assertInputError(try ImageDecoder.decode(bytes: Array("P4 1 1\n\0".utf8), name: "pbm"), mentions: "pbm: not an image")
    }

    func testFileSizeLimitComesBeforeReading() throws {
        let path = ImageFixtures.path("gray8.png")
        assertInputError(try ImageDecoder.decode(path: path, options: ImageDecodeOptions(maxFileBytes: 80)),
                         mentions: path, "81 bytes", "limit of 80 bytes")
        XCTAssertNoThrow(try ImageDecoder.decode(path: path, options: ImageDecodeOptions(maxFileBytes: 81)))
    }

    /// Headers claiming 100000x100000 (1e10 pixels) are refused before any pixel memory exists;
    /// the limit is inclusive.
    func testPixelLimitIsCheckedFromTheHeader() throws {
        let ihdr = ImageFixtures.bigEndian32(100_000) + ImageFixtures.bigEndian32(100_000) + [8, 0, 0, 0, 0]
        let hugePNG = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + ImageFixtures.pngChunk("IHDR", ihdr)
            + ImageFixtures.pngChunk("IDAT", [0x78, 0x9c, 0x03, 0x00]) + ImageFixtures.pngChunk("IEND", [])
        assertInputError(try ImageDecoder.decode(bytes: hugePNG, name: "huge.png"),
                         mentions: "huge.png", "100000x100000", "limit of 64000000 pixels")
        assertInputError(try ImageDecoder.decode(bytes: Array("P5 100000 100000 255\n".utf8) + [1, 2, 3], name: "huge.pgm"),
                         mentions: "huge.pgm", "100000x100000", "limit of 64000000")
        var hugeJPEG = try ImageFixtures.bytes("gray.jpg")
        let sof = try XCTUnwrap(ImageFixtures.jpegSegment(hugeJPEG, 0xC0))
        hugeJPEG.replaceSubrange(sof + 5 ..< sof + 9, with: [0xEA, 0x60, 0xEA, 0x60])       // 60000x60000
        assertInputError(try ImageDecoder.decode(bytes: hugeJPEG, name: "huge.jpg"), mentions: "huge.jpg", "60000x60000", "limit")
        hugeJPEG.replaceSubrange(sof + 5 ..< sof + 9, with: [0x00, 0x10, 0xFF, 0xFF])       // libjpeg's own limit: 65500
        assertInputError(try ImageDecoder.decode(bytes: hugeJPEG, name: "wide.jpg"), mentions: "wide.jpg: unsupported JPEG", "65500")

        let small = ImageDecodeOptions(maxPixels: 31)                                        // gray8.png has 32
        assertInputError(try ImageFixtures.decode("gray8.png", small), mentions: "gray8.png", "8x4", "limit of 31 pixels")
        assertInputError(try ImageFixtures.decode("gray.jpg", small), mentions: "gray.jpg", "16x16", "limit of 31")
        XCTAssertNoThrow(try ImageFixtures.decode("gray8.png", ImageDecodeOptions(maxPixels: 32)))
    }

    /// Every cut inside the pixel data is an error, never a padded picture.
    func testTruncatedPNGAndJPEGAreErrors() throws {
        let png = try ImageFixtures.bytes("gray8.png")
        for cut in [8, 20, 33, png.count / 2, png.count - 13] {
            assertInputError(try ImageDecoder.decode(bytes: Array(png.prefix(cut)), name: "cut.png"),
                             mentions: "cut.png: truncated or corrupt PNG (libpng: ")
        }
        for name in ["gray.jpg", "colour.jpg", "progressive.jpg"] {
            let jpeg = try ImageFixtures.bytes(name)
            let sos = try XCTUnwrap(ImageFixtures.jpegSegment(jpeg, 0xDA))
            for cut in stride(from: 3, to: jpeg.count, by: 7) + [sos + 20, jpeg.count - 1] {
                assertInputError(try ImageDecoder.decode(bytes: Array(jpeg.prefix(cut)), name: "cut.jpg"),
                                 mentions: "cut.jpg: truncated or corrupt JPEG (libjpeg: ")
            }
        }
        for name in ["gray.jpg", "colour.jpg"] {                      // a cut inside the one scan
            let jpeg = try ImageFixtures.bytes(name)
            let sos = try XCTUnwrap(ImageFixtures.jpegSegment(jpeg, 0xDA))
            assertInputError(try ImageDecoder.decode(bytes: Array(jpeg.prefix(sos + 40)), name: "cut.jpg"),
                             mentions: "Premature end of JPEG file")
        }
    }

    func testCorruptPNGAndJPEGAreErrors() throws {
        var png = try ImageFixtures.bytes("gray8.png")
        png[png.count - 20] ^= 0x55                                   // inside IDAT's zlib stream
        assertInputError(try ImageDecoder.decode(bytes: png, name: "bad.png"), mentions: "bad.png: truncated or corrupt PNG", "IDAT")
        var jpeg = try ImageFixtures.bytes("gray.jpg")
        let dqt = try XCTUnwrap(ImageFixtures.jpegSegment(jpeg, 0xDB))
        jpeg[dqt + 1] = 0x02                                          // not a marker libjpeg knows
        assertInputError(try ImageDecoder.decode(bytes: jpeg, name: "bad.jpg"), mentions: "bad.jpg: truncated or corrupt JPEG (libjpeg: ")
    }

    func testTwelveBitJPEGIsUnsupported() throws {
        var jpeg = try ImageFixtures.bytes("gray.jpg")
        let sof = try XCTUnwrap(ImageFixtures.jpegSegment(jpeg, 0xC0))
        jpeg[sof + 1] = 0xC1                                          // extended sequential
        jpeg[sof + 4] = 12                                            // sample precision
        assertInputError(try ImageDecoder.decode(bytes: jpeg, name: "twelve.jpg"),
                         mentions: "twelve.jpg: unsupported JPEG", "precision 12")
    }

    func testJPEGWithTooManyScansIsRefused() throws {
        // A valid progressive file of 704 scans (Fixtures/make_many_scans.c): refused at scan 501.
        assertInputError(try ImageFixtures.decode("many_scans.jpg"),
                         mentions: "many_scans.jpg: JPEG has more than 500 scans", "hostile")
    }

    func testBadPNMHeaders() {
        let cases: [(String, [String])] = [
            ("P5 4 4 0\n", ["unsupported bit depth/maxval 0", "1...65535"]),
            ("P5 4 4 65536\n", ["unsupported bit depth/maxval 65536"]),
            ("P2 4 4 1234567890 1", ["more than 9 digits"]),
            ("P2 0 4 255\n", ["zero width or height (0x4)"]),
            ("P6 4 0 255\n", ["zero width or height (4x0)"]),
            ("P5 2 2 255\n\u{1}\u{2}\u{3}", ["truncated", "2x2 needs at least 4 bytes of samples, found 3"]),
            ("P6 8000 8000 65535\n\u{1}", ["truncated", "needs at least 384000000 bytes", "found 1"]),  // before allocating
            ("P2 2 2 255 1 2 3", ["truncated", "needs at least 7 bytes of samples, found 6"]),
            ("P2 2 2 255 1 2 3  ", ["truncated", "sample 4 of 4"]),
            ("P2 2 1 255 1 300", ["sample 2 is 300, over maxval 255"]),
            ("P5 1 1 100\n\u{7f}", ["sample 1 is 127, over maxval 100"]),
            ("P2 2 x 255", ["height: expected a decimal number"]),
            ("P5 2 2 255x", ["one whitespace byte after maxval"]),
            ("P3 2 2", ["ends before its maxval"]),
        ]
        for (text, fragments) in cases {
            let name = "case.pnm"
            do {
                _ = try ImageDecoder.decode(bytes: Array(text.utf8), name: name)
                XCTFail("\(text.debugDescription) decoded")
            } catch let error as InputError {
                XCTAssertTrue(error.message.hasPrefix(name + ": "), error.message)
                for f in fragments { XCTAssertTrue(error.message.contains(f), "\(text.debugDescription): \(error.message) lacks \(f)") }
            } catch {
                XCTFail("\(text.debugDescription): \(error)")
            }
        }
    }
}
