// Captions of an image grid (the report's filter strip, dtrain inspect's feature maps) never
// overlap: caption boxes estimated from the font size do not intersect each other or any image,
// each stays inside its column, long names wrap; and the rendered SVG puts its caption text where
// the layout says. The contact sheet for PNG output places every image at its cell.

import Core
import Foundation
import Reports
import XCTest

final class ImageGridLayoutTests: XCTestCase {
    private func assertNoOverlap(_ layout: ImageGridLayout, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let captions = layout.captionBoxes.compactMap { $0 }
        for (i, a) in captions.enumerated() {
            for b in captions[(i + 1)...] {
                XCTAssertFalse(a.intersects(b), "\(what): captions \(a) and \(b) overlap", file: file, line: line)
            }
            for image in layout.imageBoxes {
                XCTAssertFalse(a.intersects(image), "\(what): caption \(a) covers image \(image)", file: file, line: line)
            }
        }
    }

    /// The report's filter strip: 16 LeNet-style 5x5 filters in 8 columns, captioned as the
    /// trainer captions them. At 10 px a 14-character caption is ~87 px wide, wider than the
    /// 56 px cell plus gap the old layout gave it.
    func testFilterStripCaptionsDoNotOverlap() {
        let captions = (0..<16).map { "conv1 filter \($0)" }
        let layout = ImageGridLayout(sizes: Array(repeating: (5, 5), count: 16), captions: captions, columns: 8, cell: 56, left: 10, top: 36)
        assertNoOverlap(layout, "filter strip")
        XCTAssertGreaterThanOrEqual(layout.columnPitch, ImageGridLayout.width(of: "conv1 filter 15") + ImageGridLayout.gap)
        for (k, box) in layout.captionBoxes.enumerated() {
            let b = try! XCTUnwrap(box)
            let columnLeft = 10 + Double(k % 8) * layout.columnPitch
            XCTAssertGreaterThanOrEqual(b.x, columnLeft, "caption \(k) starts left of its column")
            XCTAssertLessThanOrEqual(b.x + b.width, columnLeft + layout.columnPitch - ImageGridLayout.gap, "caption \(k) reaches the next column")
            XCTAssertEqual(layout.captionLines[k], [captions[k]], "a caption that fits stays on one line")
        }
    }

    /// Long block-path captions wrap (at dots and spaces) instead of running into their neighbours,
    /// and rows grow to the tallest caption.
    func testLongCaptionsWrapAndRowsMakeRoom() {
        let captions = (0..<6).map { "inception3a.branch2.conv\($0 + 1) ch \($0)" } + ["x"]
        let layout = ImageGridLayout(sizes: Array(repeating: (14, 14), count: 7), captions: captions, columns: 3, cell: 56, left: 10, top: 36)
        assertNoOverlap(layout, "long captions")
        XCTAssertLessThanOrEqual(layout.columnPitch, ImageGridLayout.maxCaptionWidth + ImageGridLayout.gap)
        for (k, lines) in layout.captionLines.enumerated() {
            XCTAssertEqual(lines.joined(separator: " ").replacingOccurrences(of: ". ", with: "."), captions[k], "wrapping loses nothing")
            for line in lines {
                XCTAssertLessThanOrEqual(ImageGridLayout.width(of: line), layout.columnPitch - ImageGridLayout.gap, "'\(line)' is too wide")
            }
        }
        XCTAssertGreaterThan(layout.captionLines[0].count, 1, "a 30-character caption wraps")
        XCTAssertGreaterThan(layout.bottom, layout.captionBoxes[6]!.y + layout.captionBoxes[6]!.height)
        // a single word longer than a line is cut, never left overlong
        XCTAssertEqual(ImageGridLayout.wrap("abcdefghij", width: ImageGridLayout.width(of: "abcd")), ["abcd", "efgh", "ij"])
    }

    /// The rendered SVG draws each caption centred on its layout box, at the layout's font size.
    func testRenderedCaptionsFollowTheLayout() throws {
        let images = (0..<10).map { _ in GrayImage(width: 5, height: 5, pixels: Array(repeating: 100, count: 25)) }
        let captions = (0..<10).map { "conv1 filter \($0)" }
        let grid = SVGImageGrid(title: "Filters", images: images, captions: captions)
        let doc = try XCTUnwrap(XMLCollector.parse(grid.render(), "grid"))
        let texts = doc.named("text").filter { $0["font-size"] == "10" }
        XCTAssertEqual(texts.count, 10, "one caption line each")
        let layout = grid.layout()
        var centres: [Double] = []
        for (k, t) in texts.enumerated() {
            let x = try XCTUnwrap(t["x"].flatMap(Double.init)), box = try XCTUnwrap(layout.captionBoxes[k])
            XCTAssertEqual(x, box.x + box.width / 2, accuracy: 0.01)
            centres.append(x)
        }
        // neighbours in a row are at least one caption width apart
        for k in 1..<8 { XCTAssertGreaterThanOrEqual(centres[k] - centres[k - 1], ImageGridLayout.width(of: captions[k])) }
    }

    /// The contact sheet: a 2x2 image enlarged to fill its cell at the cell's top left, a 1 x N
    /// strip on a row of its own, white between them.
    func testSheetPlacesEveryImage() throws {
        let square = GrayImage(width: 2, height: 2, pixels: [0, 50, 100, 150])
        let strip = GrayImage(width: 20, height: 1, pixels: (0..<20).map { UInt8($0) })
        let sheet = try XCTUnwrap(GraySheet.tile([[square, square], [strip]], columns: 2, cell: 10, gap: 2))
        XCTAssertEqual(sheet.width, 2 * (10 + 2) + 2)
        XCTAssertEqual(sheet.height, 2 * (10 + 2) + 2, "two rows: the squares, then the strip")
        func pixel(_ x: Int, _ y: Int) -> UInt8 { sheet.pixels[y * sheet.width + x] }
        XCTAssertEqual([pixel(2, 2), pixel(7, 2), pixel(2, 7), pixel(11, 11)], [0, 50, 100, 150], "first square, factor 5")
        XCTAssertEqual(pixel(14, 2), 0, "second square in the second cell")
        XCTAssertEqual(pixel(0, 0), 255, "gap is white")
        XCTAssertEqual(pixel(2, 14), 0, "strip starts the second row")
        XCTAssertEqual(pixel(2 + 19, 14 + 9), 19, "the 20-value strip fits the 22 px row, drawn 10 px high")
        XCTAssertNil(GraySheet.tile([[], []]))
    }

    /// An image larger than a cell (a 227 px input) is shrunk to fit, not cut: its bottom-right
    /// corner still shows, at the cell's bottom-right.
    func testSheetShrinksImagesLargerThanACell() throws {
        var pixels = [UInt8](repeating: 200, count: 30 * 30)
        for y in 24 ..< 30 { for x in 24 ..< 30 { pixels[y * 30 + x] = 0 } }     // a dark 6x6 corner
        let big = GrayImage(width: 30, height: 30, pixels: pixels)
        let sheet = try XCTUnwrap(GraySheet.tile([[big]], columns: 1, cell: 10, gap: 2))
        XCTAssertEqual([sheet.width, sheet.height], [14, 14], "one cell")
        func pixel(_ x: Int, _ y: Int) -> UInt8 { sheet.pixels[y * sheet.width + x] }
        XCTAssertEqual(pixel(2 + 9, 2 + 9), 0, "the corner, shrunk by 3, is the cell's last pixel")
        XCTAssertEqual(pixel(2, 2), 200)
        XCTAssertEqual(GraySheet.shrunk(big, toFit: 10).width, 10)
    }
}
