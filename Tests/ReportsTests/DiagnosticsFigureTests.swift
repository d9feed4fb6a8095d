// The diagnostics views of a report: the last epoch as a variant x layer table of shaded cells
// (SVGValueGrid: every value printed, percentages for fractions, "–" where a layer lacks the
// metric, dead_fraction and grad_norm blocks first) and the per-epoch small multiples (a panel
// per layer, one legend entry per variant, each variant in its palette colour in every figure).

#if canImport(FoundationXML)
import Core
import FoundationXML
#endif
import Foundation
import Reports
import XCTest

final class DiagnosticsFigureTests: XCTestCase {
    func testValueGridPrintsEveryCellAndShadesPerBlock() throws {
        var grid = SVGValueGrid(title: "last epoch", rowLabels: ["zeros", "he"])
        grid.blocks = [
            .init(title: "dead_fraction", columns: ["relu1", "relu2"], values: [[1, 1], [0.23, 0.004]], percent: true),
            .init(title: "grad_norm", columns: ["conv1", "fc3"], values: [[1e-7, .nan], [0.1, 0.05]], logScale: true),
        ]
        let svg = grid.render()
        let doc = try XCTUnwrap(XMLCollector.parse(svg, "grid"))
        XCTAssertEqual(doc.titles.first, "last epoch")
        for text in [">100%<", ">23%<", ">0.4%<", ">1e-07<", ">0.1<", ">0.05<", ">–<", ">relu2<", ">fc3<",
                     ">light 1e-07 → dark 0.1, log scale<", ">light 0.4% → dark 100%<"] {
            XCTAssertTrue(svg.contains(text), "\(text) missing")
        }
        // the darkest cell of each block is full blue; the lightest a faint tint, not white
        let fills = doc.named("rect").compactMap { $0["fill"] }
        XCTAssertEqual(fills.filter { $0 == "#2166ac" }.count, 3, "100%, 100% and 0.1")
        XCTAssertFalse(svg.lowercased().contains("nan"))
        XCTAssertEqual(SVGValueGrid(title: "empty", rowLabels: ["a"]).hasData, false)
    }

    func testReportHasBothViewsTableFirstAndOneColourPerVariant() throws {
        let root = try scratchDirectory(self) + "/init"
        let variants = ["zeros", "he", "alexnet"]
        for (i, v) in variants.enumerated() { try writeSyntheticRun(folder: root + "/" + v, seed: i == 1 ? 0 : 0.5, extras: false) }
        try Report.build(folder: root)
        let html = try String(contentsOfFile: root + "/report.html", encoding: .utf8)
        let table = try XCTUnwrap(html.range(of: "<h2 id=\"diagnostics-at-the-last-epoch\">"))
        let perEpoch = try XCTUnwrap(html.range(of: "<h2 id=\"diagnostics-per-epoch\">"))
        XCTAssertLessThan(table.lowerBound, perEpoch.lowerBound, "the table is the default view: first")

        // variants in natural order: alexnet 0, he 1, zeros 2; only he (seed 0) has diagnostics
        let grid = try String(contentsOfFile: root + "/diagnostics-last-epoch.svg", encoding: .utf8)
        XCTAssertLessThan(try XCTUnwrap(grid.range(of: ">dead_fraction<")).lowerBound, try XCTUnwrap(grid.range(of: ">act_mean<")).lowerBound)
        XCTAssertLessThan(try XCTUnwrap(grid.range(of: ">grad_norm<")).lowerBound, try XCTUnwrap(grid.range(of: ">act_mean<")).lowerBound)
        let small = try String(contentsOfFile: root + "/diagnostics-grad_norm.svg", encoding: .utf8)
        XCTAssertTrue(small.contains(">conv1</text>") && !small.contains(">fc1</text>"), "a panel only for layers with the metric")
        for (i, v) in ["alexnet", "he", "zeros"].enumerated() {
            XCTAssertEqual(small.components(separatedBy: ">\(v)</text>").count - 1, 1, "\(v): one legend entry")
            for file in ["val_loss.svg", "loss.svg", "throughput.svg", "diagnostics-grad_norm.svg", "diagnostics-last-epoch.svg"] {
                let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
                XCTAssertTrue(text.contains("\"\(Palette.color(i))\""), "\(file): \(v) not in \(Palette.color(i))")
            }
        }
        // he's lines are drawn in he's colour (index 1), nobody else's has points in grad_norm
        XCTAssertTrue(small.contains("stroke=\"\(Palette.color(1))\" stroke-width=\"1.8\""))
        XCTAssertFalse(small.contains("stroke=\"\(Palette.color(0))\" stroke-width=\"1.8\""))
    }
}
