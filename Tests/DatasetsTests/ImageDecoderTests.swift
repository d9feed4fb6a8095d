// ImageDecoder on valid files: each PNG kind libpng's simplified API handles, grey/colour/
// progressive/CMYK JPEG, all eight EXIF orientations, DCT and box reductions, and PGM/PPM plain
// and raw at 8 and 16 bits. Fixture values are formulas from Fixtures/make_fixtures.py; JPEG is
// lossy, so its pixels are compared within a tolerance, everything else exactly.

import Core
import Datasets
import Foundation
import XCTest

final class ImageDecoderTests: XCTestCase {
    // MARK: PNG

    func testGray8PNGIsExact() throws {
        let decoded = try ImageFixtures.decode("gray8.png")
        XCTAssertEqual(decoded.format, .png)
        XCTAssertEqual([decoded.image.width, decoded.image.height, decoded.originalWidth, decoded.originalHeight], [8, 4, 8, 4])
        XCTAssertEqual(decoded.scale, 1)
        assertPixels(decoded.image, within: 1e-6, "gray8") { x, y in Float((29 * x + 71 * y) % 256) / 255 }
    }

    func testGray16PNGRoundsTo8Bit() throws {
        let image = try ImageFixtures.decode("gray16.png").image
        XCTAssertEqual([image.width, image.height], [8, 4])
        assertPixels(image, within: 1e-6, "gray16") { x, y in
            (Float((8191 * x + 3001 * y) % 65536) / 257).rounded() / 255
        }
    }

    /// libpng turns colour to grey in linear light with the sRGB (Rec. 709) weights, taking the
    /// file as sRGB (gamma 2.2): grey = (0.2126 R^2.2 + 0.7152 G^2.2 + 0.0722 B^2.2)^(1/2.2).
    func testRGBPNGBecomesLibpngGrey() throws {
        let image = try ImageFixtures.decode("rgb.png").image
        let rgb: [[(Float, Float, Float)]] = [[(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)],
                                              [(0, 0, 0), (128, 128, 128), (255, 255, 0), (0, 255, 255)]]
        assertPixels(image, within: 2.5 / 255, "rgb") { x, y in
            let (r, g, b) = rgb[y][x]
            func linear(_ v: Float) -> Float { pow(v / 255, 2.2) }
            return pow(0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b), 1 / 2.2)
        }
        XCTAssertLessThan(image[2, 0], image[0, 0]); XCTAssertLessThan(image[0, 0], image[1, 0])   // blue < red < green
    }

    func testRGBAPNGIsCompositedOverWhite() throws {
        let image = try ImageFixtures.decode("rgba.png").image
        let expected: [Float] = [0, 1, 1 - 128 / 255, (100 * 51 + 255 * (255 - 51)) / (255 * 255)]
        assertPixels(image, within: 0.5 / 255, "rgba") { x, _ in expected[x] }
    }

    func testPalettePNGWithAndWithoutTransparency() throws {
        let levels: [Float] = [0, 85 / 255, 170 / 255, 1]
        let plain = try ImageFixtures.decode("palette.png").image
        XCTAssertEqual([plain.width, plain.height], [4, 2])
        assertPixels(plain, within: 1e-6, "palette") { x, y in levels[(x + y) % 4] }
        // index 0 is transparent: the black entries show the white paper
        let paper = try ImageFixtures.decode("palette_trns.png").image
        assertPixels(paper, within: 1e-6, "palette+tRNS") { x, y in (x + y) % 4 == 0 ? 1 : levels[(x + y) % 4] }
    }

    func testOneBitPNG() throws {
        let image = try ImageFixtures.decode("gray1.png").image
        XCTAssertEqual([image.width, image.height], [8, 2])
        assertPixels(image, within: 0, "1-bit") { x, y in (x + y) % 2 == 1 ? 1 : 0 }
    }

    // MARK: JPEG

    func testGreyJPEGWithinJPEGTolerance() throws {
        let decoded = try ImageFixtures.decode("gray.jpg")
        XCTAssertEqual(decoded.format, .jpeg)
        XCTAssertEqual([decoded.image.width, decoded.image.height], [16, 16])
        assertPixels(decoded.image, within: 3 / 255, "grey jpeg") { x, y in Float(8 * x + 4 * y + 40) / 255 }
    }

    /// Grey from a colour JPEG is its luma Y = 0.299 R + 0.587 G + 0.114 B; block edges ring, so
    /// only the 4x4 centres of the four 8x8 flat blocks are compared.
    func testColourAndProgressiveJPEGGiveLuma() throws {
        let luma: [[Float]] = [[0.299 * 255, 0.587 * 255], [0.114 * 255, 200]]
        for name in ["colour.jpg", "progressive.jpg", "cmyk.jpg"] {
            let image = try ImageFixtures.decode(name).image
            XCTAssertEqual([image.width, image.height], [16, 16], name)
            for by in 0 ..< 2 {
                for bx in 0 ..< 2 {
                    for y in by * 8 + 2 ..< by * 8 + 6 {
                        for x in bx * 8 + 2 ..< bx * 8 + 6 {
                            XCTAssertEqual(image[x, y] * 255, luma[by][bx], accuracy: 5, "\(name) (\(x), \(y))")
                        }
                    }
                }
            }
        }
        // progressive and baseline code the same picture: same pixels within JPEG's noise
        let baseline = try ImageFixtures.decode("colour.jpg").image, progressive = try ImageFixtures.decode("progressive.jpg").image
        assertPixels(progressive, within: 3 / 255, "progressive vs baseline") { x, y in baseline[x, y] }
    }

    /// Each orientN.jpg stores the upright 16x8 picture (black 4x4 square top left, white
    /// elsewhere) turned the way orientation N undoes: the decode is always the upright picture.
    func testAllEightEXIFOrientationsComeOutUpright() throws {
        for n in 1 ... 8 {
            let name = "orient\(n).jpg"
            let stored = try ImageFixtures.bytes(name)
            let sof = try XCTUnwrap(ImageFixtures.jpegSegment(stored, 0xC0), name)
            let storedHeight = Int(stored[sof + 5]) << 8 | Int(stored[sof + 6])
            XCTAssertEqual(storedHeight, n >= 5 ? 16 : 8, "\(name): the fixture is not stored turned")

            let decoded = try ImageFixtures.decode(name)
            XCTAssertEqual([decoded.image.width, decoded.image.height, decoded.originalWidth, decoded.originalHeight],
                           [16, 8, 16, 8], name)
            assertPixels(decoded.image, within: 40 / 255, name) { x, y in x < 4 && y < 4 ? 0 : 1 }
        }
    }

    func testEXIFParserReadsBothByteOrdersAndIgnoresGarbage() {
        func marker(bigEndian: Bool, tag: UInt16 = 0x0112, type: UInt16 = 3, value: UInt16, entries: UInt16 = 1) -> [UInt8] {
            func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xff)] : [UInt8(v & 0xff), UInt8(v >> 8)] }
            func u32(_ v: UInt32) -> [UInt8] { bigEndian ? u16(UInt16(v >> 16)) + u16(UInt16(v & 0xffff)) : u16(UInt16(v & 0xffff)) + u16(UInt16(v >> 16)) }
            let order: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
            return Array("Exif".utf8) + [0, 0] + order + u16(42) + u32(8) + u16(entries)
                + u16(tag) + u16(type) + u32(1) + u16(value) + [0, 0] + u32(0)
        }
        for bigEndian in [false, true] {
            for n in 1 ... 8 {
                XCTAssertEqual(EXIFOrientation(exifMarker: marker(bigEndian: bigEndian, value: UInt16(n))).rawValue, n)
            }
            XCTAssertEqual(EXIFOrientation(exifMarker: marker(bigEndian: bigEndian, value: 9)), .identity)
            XCTAssertEqual(EXIFOrientation(exifMarker: marker(bigEndian: bigEndian, value: 0)), .identity)
            XCTAssertEqual(EXIFOrientation(exifMarker: marker(bigEndian: bigEndian, tag: 0x0110, value: 6)), .identity)
            XCTAssertEqual(EXIFOrientation(exifMarker: marker(bigEndian: bigEndian, type: 7, value: 6)), .identity)
            // an entry count running past the end, and every truncation, are read safely
            XCTAssertEqual(EXIFOrientation(exifMarker: marker(bigEndian: bigEndian, tag: 0x0100, value: 6, entries: 60000)), .identity)
            let full = marker(bigEndian: bigEndian, value: 6)
            for cut in 0 ..< full.count - 4 { _ = EXIFOrientation(exifMarker: Array(full.prefix(cut))) }
            XCTAssertEqual(EXIFOrientation(exifMarker: Array(full.prefix(full.count - 4))), .rotate90CW)   // next-IFD link is not needed
        }
        XCTAssertEqual(EXIFOrientation(exifMarker: Array("Exif\0\0XX*\0".utf8)), .identity)
        XCTAssertEqual(EXIFOrientation(exifMarker: []), .identity)
    }

    func testOrientationTransformsMoveACornerMarker() {
        // stored 3x2 with a marker at stored (0, 0); where it lands for each orientation
        var stored = GrayscaleImage(width: 3, height: 2, filledWith: 1)
        stored[0, 0] = 0
        let landing: [EXIFOrientation: (x: Int, y: Int)] = [
            .identity: (0, 0), .mirrorHorizontal: (2, 0), .rotate180: (2, 1), .mirrorVertical: (0, 1),
            .transpose: (0, 0), .rotate90CW: (1, 0), .transverse: (1, 2), .rotate270CW: (0, 2),
        ]
        for (orientation, at) in landing {
            let upright = orientation.apply(to: stored)
            XCTAssertEqual([upright.width, upright.height], orientation.swapsSides ? [2, 3] : [3, 2], "\(orientation)")
            XCTAssertEqual(upright.pixels.filter { $0 == 0 }.count, 1, "\(orientation)")
            XCTAssertEqual(upright[at.x, at.y], 0, "\(orientation): marker not at \(at)")
        }
    }

    func testUprightOriginPlacesAReducedBlockWhereTheFullSizeDecodePutsIt() {
        // Stored photo 10x6 reduced by f = 4 to 3x2 blocks (the last column and row partial). The
        // block at stored reduced (0, 0) covers stored photo pixels [0, 4) x [0, 4); after each
        // orientation, reduced coordinates x 4 + origin must land on the same pixels as the
        // full-size picture turned the same way.
        let f = 4
        var full = GrayscaleImage(width: 10, height: 6, filledWith: 1)
        for y in 0 ..< 4 { for x in 0 ..< 4 { full[x, y] = 0 } }
        var reduced = GrayscaleImage(width: 3, height: 2, filledWith: 1)
        reduced[0, 0] = 0
        for orientation in EXIFOrientation.allCases {
            let uprightFull = orientation.apply(to: full), uprightReduced = orientation.apply(to: reduced)
            func firstDark(_ image: GrayscaleImage) -> (x: Int, y: Int) {
                let i = image.pixels.firstIndex(of: 0)!
                return (i % image.width, i / image.width)
            }
            let block = firstDark(uprightReduced), corner = firstDark(uprightFull)
            let origin = orientation.uprightOrigin(storedPadX: 3 * f - 10, storedPadY: 2 * f - 6)
            XCTAssertEqual(block.x * f + origin.x, corner.x, "\(orientation) x")
            XCTAssertEqual(block.y * f + origin.y, corner.y, "\(orientation) y")
        }
    }

    // MARK: reduction

    /// reduce.jpg is 61x45: the DCT scale is the largest of 1/2, 1/4, 1/8 that keeps the longest
    /// side >= the target; sizes round up as libjpeg's do; pixels are close to a box average.
    func testJPEGReducesInTheDCT() throws {
        let full = try ImageFixtures.decode("reduce.jpg")
        XCTAssertEqual([full.image.width, full.image.height], [61, 45])
        let cases: [(target: Int?, factor: Int, width: Int, height: Int)] = [
            (nil, 1, 61, 45), (61, 1, 61, 45), (100, 1, 61, 45), (32, 1, 61, 45), (31, 2, 31, 23),
            (20, 2, 31, 23), (16, 4, 16, 12), (9, 4, 16, 12), (8, 8, 8, 6), (1, 8, 8, 6), (0, 8, 8, 6),
        ]
        for c in cases {
            let decoded = try ImageFixtures.decode("reduce.jpg", ImageDecodeOptions(reduceLongestSideTo: c.target))
            let what = "target \(c.target.map(String.init) ?? "nil")"
            XCTAssertEqual([decoded.image.width, decoded.image.height], [c.width, c.height], what)
            XCTAssertEqual([decoded.originalWidth, decoded.originalHeight], [61, 45], what)
            XCTAssertEqual(decoded.scale, Double(c.factor), what)
            let f = c.factor
            assertPixels(decoded.image, within: 4 / 255, what) { x, y in     // inner boxes: the mean of 2x + 2y + 20
                let x0 = x * f, x1 = min(x0 + f, 61), y0 = y * f, y1 = min(y0 + f, 45)
                return (Float(x0 + x1 - 1) + Float(y0 + y1 - 1) + 20) / 255
            }
        }
    }

    func testPNGReducesByBoxAverage() throws {
        // 8x4, target 4: f = 2 gives 4x2 of exact 2x2 means
        let half = try ImageFixtures.decode("gray8.png", ImageDecodeOptions(reduceLongestSideTo: 4))
        XCTAssertEqual([half.image.width, half.image.height], [4, 2])
        XCTAssertEqual(half.scale, 2)
        func v(_ x: Int, _ y: Int) -> Float { Float((29 * x + 71 * y) % 256) / 255 }
        assertPixels(half.image, within: 1e-6, "2x2 boxes") { x, y in
            (v(2 * x, 2 * y) + v(2 * x + 1, 2 * y) + v(2 * x, 2 * y + 1) + v(2 * x + 1, 2 * y + 1)) / 4
        }
        // target 3: f = 3 gives ceil(8/3) x ceil(4/3) = 3x2; the edge boxes average what they hold
        let third = try ImageFixtures.decode("gray8.png", ImageDecodeOptions(reduceLongestSideTo: 3))
        XCTAssertEqual([third.image.width, third.image.height, third.originalWidth], [3, 2, 8])
        XCTAssertEqual(third.scale, 3)
        assertPixels(third.image, within: 1e-6, "3x3 boxes") { bx, by in
            let xs = bx * 3 ..< min(bx * 3 + 3, 8), ys = by * 3 ..< min(by * 3 + 3, 4)
            return ys.flatMap { y in xs.map { x in v(x, y) } }.reduce(0, +) / Float(xs.count * ys.count)
        }
    }

    // MARK: PGM / PPM

    func testPGMPlainAndRawAt8And16Bits() throws {
        let samples = [0, 1, 127, 128, 254, 255]
        let plain8 = "P2\n# a comment\n3 2\n255\n" + samples.map(String.init).joined(separator: " ") + "\n"
        let raw8 = Array("P5 3 2 255\n".utf8) + samples.map { UInt8($0) }
        let samples16 = [0, 1, 256, 1000, 65534, 65535]
        let plain16 = "P2 3 2 65535 " + samples16.map(String.init).joined(separator: "\n")
        let raw16 = Array("P5\n3 2\n#c\n65535\r".utf8) + samples16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
        for (name, bytes, values, maxval) in [("plain8", Array(plain8.utf8), samples, 255), ("raw8", raw8, samples, 255),
                                              ("plain16", Array(plain16.utf8), samples16, 65535), ("raw16", raw16, samples16, 65535)] {
            let decoded = try ImageDecoder.decode(bytes: bytes, name: name)
            XCTAssertEqual(decoded.format, .pgm, name)
            XCTAssertEqual([decoded.image.width, decoded.image.height], [3, 2], name)
            assertPixels(decoded.image, within: 1e-7, name) { x, y in Float(values[y * 3 + x]) / Float(maxval) }
        }
        let odd = try ImageDecoder.decode(bytes: Array("P2 2 1 7 0 7".utf8), name: "maxval7").image     // any maxval
        XCTAssertEqual(odd.pixels, [0, 1])
    }

    func testPPMPlainAndRawGiveLuma() throws {
        let rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        let plain = Array("P3 2 2 255\n".utf8) + Array(rgb.map(String.init).joined(separator: " ").utf8)
        let raw = Array("P6 2 2 255 ".utf8) + rgb.map { UInt8($0) }
        let raw16 = Array("P6 2 2 1000 ".utf8) + rgb.flatMap { [UInt8(($0 * 2) >> 8), UInt8(($0 * 2) & 0xff)] }   // same colours / 500
        for (name, bytes, maxval) in [("P3", plain, Float(255)), ("P6", raw, 255), ("P6-16", raw16, 500)] {
            let decoded = try ImageDecoder.decode(bytes: bytes, name: name)
            XCTAssertEqual(decoded.format, .ppm, name)
            assertPixels(decoded.image, within: 1e-6, name) { x, y in
                let i = 3 * (y * 2 + x)
                return (0.299 * Float(rgb[i]) + 0.587 * Float(rgb[i + 1]) + 0.114 * Float(rgb[i + 2])) / maxval
            }
        }
    }

    // MARK: detection

    func testFormatComesFromContentNotName() throws {
        let scratch = try scratchDirectory(self)
        try writeFile(scratch + "/photo.jpg", try ImageFixtures.bytes("gray8.png"))
        try writeFile(scratch + "/scan.png", Array("P5 1 1 255\n\u{7f}".utf8))
        XCTAssertEqual(try ImageDecoder.decode(path: scratch + "/photo.jpg").format, .png)
        XCTAssertEqual(try ImageDecoder.decode(path: scratch + "/scan.png").format, .pgm)
        let fromBytes = try ImageDecoder.decode(bytes: try ImageFixtures.bytes("gray.jpg"), name: "x")
        XCTAssertEqual(fromBytes.image, try ImageFixtures.decode("gray.jpg").image)
    }
}
