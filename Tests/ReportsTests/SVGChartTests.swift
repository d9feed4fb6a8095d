// The chart builders: every document is well-formed standalone SVG (xmlns, size, viewBox,
// <title>), text is escaped, missing points are skipped, smoothing is a debiased EMA, and the
// bar chart, heatmap and image grid draw what they were given.

#if canImport(FoundationXML)
import Core
import FoundationXML
#endif
import Foundation
import Reports
import XCTest

final class SVGChartTests: XCTestCase {
    func assertStandalone(_ svg: String, title: String, file: StaticString = #filePath, line: UInt = #line) -> XMLCollector? {
        guard let doc = XMLCollector.parse(svg, title, file: file, line: line) else { return nil }
        let root = doc.elements.first
        XCTAssertEqual(root?.name, "svg", file: file, line: line)
        XCTAssertEqual(root?.attributes["xmlns"], "http://www.w3.org/2000/svg", file: file, line: line)
        for key in ["width", "height", "viewBox"] { XCTAssertNotNil(root?.attributes[key], key, file: file, line: line) }
        XCTAssertEqual(doc.titles.first, title, file: file, line: line)
        let markup = svg.replacingOccurrences(of: "data:image/png;base64,[A-Za-z0-9+/=]+", with: "", options: .regularExpression)
        XCTAssertFalse(markup.lowercased().contains("nan") || markup.contains("inf"), "non-finite number in SVG", file: file, line: line)
        return doc
    }

    func testMissingPointsAreSkipped() throws {
        var plot = SVGPlot(title: "val", xLabel: "epoch", yLabel: "loss")
        plot.addLine("run", x: [1, 2, 3, 4, 5, 6], y: [1, nil, 3, .nan, 5, 6], markers: true, color: "#123456")
        let doc = try XCTUnwrap(assertStandalone(plot.render(), title: "val"))
        // 4 drawable points plus the legend's marker; only 5-6 is a run long enough for a line.
        XCTAssertEqual(doc.named("circle").filter { $0["fill"] == "#123456" }.count, 5)
        let paths = doc.named("path").filter { $0["stroke"] == "#123456" }
        XCTAssertEqual(paths.count, 1)
        XCTAssertEqual(paths.first?["d"]?.filter { $0 == "L" }.count, 1)
    }

    func testLogAxisSkipsNonPositiveValues() throws {
        var plot = SVGPlot(title: "grad", xLabel: "epoch", yLabel: "norm")
        plot.logY = true
        plot.addLine("g", x: [1, 2, 3, 4], y: [0.01, 0, -1, 10], markers: true, color: "#654321")
        let doc = try XCTUnwrap(assertStandalone(plot.render(), title: "grad"))
        XCTAssertEqual(doc.named("circle").filter { $0["fill"] == "#654321" }.count, 3)
        XCTAssertTrue(plot.render().contains(">0.01<") && plot.render().contains(">10<"))
    }

    func testAllMissingSaysNoData() throws {
        var plot = SVGPlot(title: "empty", xLabel: "x", yLabel: "y")
        plot.addLine("nothing", x: [1, 2], y: [nil, .nan])
        XCTAssertFalse(plot.hasData)
        XCTAssertTrue(plot.render().contains(">no data<"))
        _ = assertStandalone(plot.render(), title: "empty")
    }

    func testTextIsEscaped() throws {
        let title = "loss < 1 & \"quoted\" 'x' >"
        var plot = SVGPlot(title: title, xLabel: "a&b", yLabel: "<y>")
        plot.addLine("variant <&>", x: [0, 1], y: [1, 2])
        let doc = try XCTUnwrap(assertStandalone(plot.render(), title: title))
        XCTAssertGreaterThan(doc.named("text").count, 4)
    }

    func testSmoothedModeDrawsRawFaintAndEMA() throws {
        let x = (1...3000).map(Double.init)
        let y: [Double?] = x.map { 1 / $0 + ($0.truncatingRemainder(dividingBy: 2) == 0 ? 0.1 : -0.1) }
        var plot = SVGPlot(title: "loss", xLabel: "step", yLabel: "loss")
        plot.addSmoothed("a", x: x, y: y, weight: 0.9, color: "#111111")
        let doc = try XCTUnwrap(assertStandalone(plot.render(), title: "loss"))
        let paths = doc.named("path").filter { $0["stroke"] == "#111111" }
        XCTAssertEqual(paths.count, 2)
        XCTAssertEqual(paths.filter { $0["stroke-opacity"] != nil }.count, 1, "one faint raw line")
        let rawPoints = paths.first { $0["stroke-opacity"] != nil }?["d"]?.filter { $0 == "L" }.count ?? 0
        XCTAssertLessThan(rawPoints, 2000, "long raw series is decimated")
        XCTAssertGreaterThan(rawPoints, 500)
    }

    func testEMA() {
        XCTAssertEqual(Smoothing.ema([1, 1, 1], weight: 0.9), [1, 1, 1])
        let s = Smoothing.ema([0, 10], weight: 0.5)
        XCTAssertEqual(s[0], 0)
        XCTAssertEqual(s[1], 5 / 0.75, accuracy: 1e-12)
        let gap = Smoothing.ema([.nan, 2, .nan, 2], weight: 0.8)
        XCTAssertTrue(gap[0].isNaN && gap[2].isNaN)
        XCTAssertEqual(gap[1], 2, accuracy: 1e-12)
        XCTAssertEqual(gap[3], 2, accuracy: 1e-12)
    }

    func testBarChart() throws {
        var chart = SVGBarChart(title: "throughput", valueLabel: "images/s")
        chart.addBar("np1", 1000)
        chart.addBar("np2 & more", 1900)
        chart.addBar("broken", .nan)
        let doc = try XCTUnwrap(assertStandalone(chart.render(), title: "throughput"))
        let texts = chart.render()
        XCTAssertTrue(texts.contains(">1900<") && texts.contains(">np2 &amp; more<"))
        XCTAssertEqual(doc.named("rect").filter { $0["fill"] != "#ffffff" }.count, 2)

        var stacked = SVGBarChart(title: "time", valueLabel: "s")
        stacked.segmentNames = ["compute", "comm"]
        stacked.decimals = 1
        stacked.addBar("a", segments: [3, 1.5])
        XCTAssertTrue(stacked.render().contains(">4.5<"))
        _ = assertStandalone(stacked.render(), title: "time")
    }

    func testHeatmapShowsEveryCount() throws {
        let m: [[Double]] = [[50, 2, 0], [1, 40, 7], [0, 3, 45]]
        let map = SVGHeatmap(title: "confusion", matrix: m, rowLabels: ["a", "b", "c"], columnLabels: ["a", "b", "c"])
        let svg = map.render()
        _ = try XCTUnwrap(assertStandalone(svg, title: "confusion"))
        for v in m.joined() { XCTAssertTrue(svg.contains(">\(Int(v))<"), "count \(v)") }
        XCTAssertTrue(svg.contains("true label") && svg.contains("predicted label"))
    }

    func testImageGridBothModes() throws {
        let images = [GrayImage(width: 2, height: 2, pixels: [0, 85, 170, 255]), GrayImage(width: 2, height: 2, pixels: [9, 9, 9, 9])]
        let png = SVGImageGrid(title: "filters", images: images, captions: ["f0", "f1"]).render()
        let doc = try XCTUnwrap(assertStandalone(png, title: "filters"))
        let hrefs = doc.named("image").compactMap { $0["href"] }
        XCTAssertEqual(hrefs.count, 2)
        XCTAssertTrue(hrefs.allSatisfy { $0.hasPrefix("data:image/png;base64,") })

        let rects = SVGImageGrid(title: "maps", images: images, mode: .rects).render()
        let rdoc = try XCTUnwrap(assertStandalone(rects, title: "maps"))
        XCTAssertEqual(rdoc.named("rect").filter { $0["fill"]?.hasPrefix("#") == true && $0["x"] != "0" }.count, 8, "one rect per pixel")
        XCTAssertTrue(rects.contains("fill=\"#555555\"") && rects.contains("fill=\"#090909\""))
    }
}
