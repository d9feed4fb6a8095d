// ImageDecoder.decodeRGB: the colour planes of PNG (RGB, alpha over white), JPEG and PPM, grey
// files as three equal planes, and the same error lines as the grey path.

import Core
import Datasets
import XCTest

final class RGBDecodeTests: XCTestCase {
    private func assertRGB(_ image: RGBImage, x: Int, y: Int, _ rgb: [Float], within tolerance: Float, _ what: String,
                           file: StaticString = #filePath, line: UInt = #line) {
        for (plane, expected) in zip(image.planes, rgb) {
            XCTAssertEqual(plane[x, y], expected, accuracy: tolerance, "\(what) (\(x), \(y))", file: file, line: line)
        }
    }

    func testPNGKeepsColourAndCompositesAlphaOverWhite() throws {
        let rgb = try ImageDecoder.decodeRGB(path: ImageFixtures.path("rgb.png"))
        XCTAssertEqual([rgb.width, rgb.height], [4, 2])
        let expected: [[Float]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [0, 0, 0], [128 / 255, 128 / 255, 128 / 255], [1, 1, 0], [0, 1, 1]]
        for (i, e) in expected.enumerated() { assertRGB(rgb, x: i % 4, y: i / 4, e, within: 1e-6, "rgb.png") }
        let rgba = try ImageDecoder.decodeRGB(path: ImageFixtures.path("rgba.png"))
        assertRGB(rgba, x: 0, y: 0, [0, 0, 0], within: 1e-6, "opaque black")
        assertRGB(rgba, x: 1, y: 0, [1, 1, 1], within: 1e-6, "transparent: white paper")
        let grey = try ImageDecoder.decodeRGB(path: ImageFixtures.path("gray8.png"))
        let luma = try ImageDecoder.decode(path: ImageFixtures.path("gray8.png")).image
        XCTAssertEqual(grey, RGBImage(grey: luma), "a grey PNG gives three equal planes")
    }

    func testJPEGKeepsColourAndGreyJPEGIsReplicated() throws {
        let rgb = try ImageDecoder.decodeRGB(path: ImageFixtures.path("colour.jpg"))
        XCTAssertEqual([rgb.width, rgb.height], [16, 16])
        for (x, y, e) in [(2, 2, [255, 0, 0]), (13, 2, [0, 255, 0]), (2, 13, [0, 0, 255]), (13, 13, [200, 200, 200])] as [(Int, Int, [Float])] {
            assertRGB(rgb, x: x, y: y, e.map { $0 / 255 }, within: 0.05, "colour.jpg")
        }
        let grey = try ImageDecoder.decodeRGB(path: ImageFixtures.path("gray.jpg"))
        XCTAssertEqual(grey.red, grey.green)
        XCTAssertEqual(grey.red, grey.blue)
        XCTAssertEqual(grey.red, try ImageDecoder.decode(path: ImageFixtures.path("gray.jpg")).image)
        let cmyk = try ImageDecoder.decodeRGB(path: ImageFixtures.path("cmyk.jpg"))
        XCTAssertEqual([cmyk.width, cmyk.height], [16, 16])
    }

    func testPPMPlanesAndPGMReplicated() throws {
        let ppm = CatalogFixtures.ppm(width: 2, height: 1, [10, 20, 30, 255, 128, 0])
        let rgb = try ImageDecoder.decodeRGB(bytes: ppm, name: "two.ppm")
        assertRGB(rgb, x: 0, y: 0, [10 / 255, 20 / 255, 30 / 255], within: 1e-6, "PPM")
        assertRGB(rgb, x: 1, y: 0, [1, 128 / 255, 0], within: 1e-6, "PPM")
        let pgm = try ImageDecoder.decodeRGB(bytes: CatalogFixtures.pgm(width: 2, height: 1, [0, 51]), name: "two.pgm")
        assertRGB(pgm, x: 1, y: 0, [0.2, 0.2, 0.2], within: 1e-6, "PGM")
        let reduced = try ImageDecoder.decodeRGB(bytes: CatalogFixtures.ppm(width: 4, height: 2, [UInt8](repeating: 90, count: 24)),
                                                 name: "r.ppm", options: ImageDecodeOptions(reduceLongestSideTo: 2))
        XCTAssertEqual([reduced.width, reduced.height], [2, 1])
    }

    func testErrorsNameTheFile() {
        assertInputError(try ImageDecoder.decodeRGB(bytes: Array("hello".utf8), name: "notes.txt"), mentions: "notes.txt", "not an image")
        assertInputError(try ImageDecoder.decodeRGB(bytes: Array(CatalogFixtures.png(width: 4, height: 4, channels: 3, [UInt8](repeating: 1, count: 48)).prefix(40)),
                                                    name: "cut.png"), mentions: "cut.png", "PNG")
    }
}
