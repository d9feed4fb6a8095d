// Report.build end to end on a synthetic experiment (2 variants x 3 epochs, steps.csv,
// confusion.json, filters.json): the files written, every SVG and the HTML page well-formed,
// summary.md's numbers equal to metrics.jsonl's (and its verdict column), and no external
// reference anywhere.

#if canImport(FoundationXML)
import Core
import FoundationXML
#endif
import Foundation
import Reports
import XCTest

final class ReportTests: XCTestCase {
    let variants = ["base", "lr 0.01 & <wide>"]

    func buildExperiment() throws -> (root: String, written: [String], epochs: [String: [SyntheticEpoch]]) {
        let root = try scratchDirectory(self) + "/sweep"
        var epochs: [String: [SyntheticEpoch]] = [:]
        for (i, v) in variants.enumerated() {
            epochs[v] = try writeSyntheticRun(folder: root + "/" + v, seed: Double(i), validationGap: i == 1)
        }
        return (root, try Report.build(folder: root), epochs)
    }

    func testWritesEveryFigureAndPage() throws {
        let (root, written, _) = try buildExperiment()
        let names = written.map { URL(fileURLWithPath: $0).lastPathComponent }
        for expected in ["loss.svg", "val_loss.svg", "val_accuracy.svg", "test_accuracy.svg", "throughput.svg", "wall_time.svg",
                         "diagnostics-dead_fraction.svg", "diagnostics-grad_norm.svg", "diagnostics-weight_norm.svg", "diagnostics-last-epoch.svg",
                         "confusion-base.svg", "confusion-lr_0.01____wide_.svg", "filters-base.svg", "report.html", "summary.md"] {
            XCTAssertTrue(names.contains(expected), "\(expected) not written; got \(names)")
        }
        for path in written { XCTAssertTrue(FileManager.default.fileExists(atPath: path), path) }
        XCTAssertTrue(written.allSatisfy { $0.hasPrefix(root + "/") })
    }

    func testEverySVGAndTheHTMLPageParse() throws {
        let (_, written, _) = try buildExperiment()
        let svgs = written.filter { $0.hasSuffix(".svg") }
        for path in svgs {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            guard let doc = XMLCollector.parse(text, path) else { continue }
            XCTAssertEqual(doc.elements.first?.name, "svg", path)
            XCTAssertEqual(doc.elements.first?.attributes["xmlns"], "http://www.w3.org/2000/svg", path)
            XCTAssertNotNil(doc.elements.first?.attributes["viewBox"], path)
            XCTAssertFalse(doc.titles.first?.isEmpty ?? true, "\(path) has a <title>")
        }
        let html = try String(contentsOfFile: written.first { $0.hasSuffix("report.html") }!, encoding: .utf8)
        let page = try XCTUnwrap(XMLCollector.parse(html, "report.html"))
        // Root <svg>s carry the namespace; line plots also nest one (a clipping viewport) without.
        XCTAssertEqual(page.named("svg").filter { $0["xmlns"] != nil }.count, svgs.count, "every figure inline once")
        XCTAssertTrue(page.named("script").isEmpty && !html.lowercased().contains("<script"))

        // Each inline <svg> also parses on its own: one per <figure>, from its "<svg xmlns" to
        // the last "</svg>" before "</figure>".
        let figures = html.components(separatedBy: "<figure>").dropFirst()
        XCTAssertEqual(figures.count, svgs.count)
        for f in figures {
            let body = f.components(separatedBy: "</figure>")[0]
            guard let start = body.range(of: "<svg xmlns"), let end = body.range(of: "</svg>", options: .backwards) else {
                XCTFail("figure without an inline svg"); continue
            }
            _ = XMLCollector.parse(String(body[start.lowerBound..<end.upperBound]), "inline svg")
        }

        // The five most confused pairs are listed under the heatmap, largest first.
        XCTAssertTrue(html.contains("<li>4 → 9: 40"))
        let order = ["4 → 9: 40", "7 → 1: 31", "3 → 5: 25", "9 → 4: 22", "2 → 7: 19"].map { html.range(of: $0)!.lowerBound }
        XCTAssertEqual(order, order.sorted())
    }

    func testNoExternalReferences() throws {
        let (_, written, _) = try buildExperiment()
        for path in written where path.hasSuffix(".html") || path.hasSuffix(".svg") {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertFalse(text.contains("src=\"//") || text.contains("href=\"//") || text.contains("url("), path)
            let namespace = "xmlns=\"http://www.w3.org/2000/svg\""
            var rest = text[...]
            while let r = rest.range(of: "http", options: .caseInsensitive) {
                let start = text.index(r.lowerBound, offsetBy: -7, limitedBy: text.startIndex) ?? text.startIndex
                XCTAssertTrue(text[start...].hasPrefix(namespace), "\(path): external reference near '\(text[start...].prefix(60))'")
                rest = text[r.upperBound...]
            }
            XCTAssertFalse(text.contains("ftp:") || text.contains("file:"), path)
            let page = XMLCollector.parse(text, path)
            for e in page?.elements ?? [] {
                for (k, v) in e.attributes where k == "href" || k == "src" || k.hasSuffix(":href") {
                    XCTAssertTrue(v.hasPrefix("#") || v.hasPrefix("data:"), "\(path): \(e.name) \(k)=\(v.prefix(40))")
                }
            }
        }
    }

    func testSummaryNumbersEqualTheMetrics() throws {
        let (_, written, epochs) = try buildExperiment()
        let md = try String(contentsOfFile: written.first { $0.hasSuffix("summary.md") }!, encoding: .utf8)
        let lines = md.split(separator: "\n").filter { $0.hasPrefix("|") }
        let header = cells(lines[0])
        XCTAssertEqual(header, ["variant", "final epoch", "train loss", "val loss", "val acc (%)", "test acc (%)",
                                "test top-5 (%)", "train seconds", "images/s", "world size", "verdict"])
        var seen = 0
        for line in lines.dropFirst(2) {
            let row = cells(line)
            guard row.count == header.count, let written = epochs[row[0].replacingOccurrences(of: "\\|", with: "|")] else { continue }
            seen += 1
            let last = written.last!
            let expected: [Double] = [Double(last.epoch), last.trainLoss, last.valLoss!, last.valAccuracy!, last.testAccuracy,
                                      last.testTop5, written.map(\.epochSeconds).reduce(0, +),
                                      written.map(\.imagesPerSec).reduce(0, +) / Double(written.count), Double(last.worldSize)]
            let decimals = [0, 4, 4, 2, 2, 2, 1, 0, 0]
            for (k, value) in expected.enumerated() {
                let printed = try XCTUnwrap(Double(row[k + 1]), "\(header[k + 1]) = '\(row[k + 1])'")
                XCTAssertEqual(printed, value, accuracy: 0.5 * pow(10, -Double(decimals[k])) + 1e-9, "\(row[0]) \(header[k + 1])")
            }
        }
        XCTAssertEqual(seen, variants.count, "a row per variant")
        // Both synthetic variants end far below ln 10 with healthy diagnostics: no reason given.
        XCTAssertEqual(lines.dropFirst(2).prefix(variants.count).map { cells($0).last }, ["learned", "learned"])
        XCTAssertTrue(md.contains("| 4 | 9 | 40 |"))
    }

    func testSingleRunFolderUsesPlainNames() throws {
        let dir = try scratchDirectory(self) + "/solo"
        try writeSyntheticRun(folder: dir, seed: 0)
        let names = try Report.build(folder: dir).map { URL(fileURLWithPath: $0).lastPathComponent }
        XCTAssertTrue(names.contains("confusion.svg") && names.contains("filters.svg") && names.contains("loss.svg"), "\(names)")
    }

    /// The cells of a markdown table row, trimmed, with escaped pipes kept inside their cell.
    private func cells(_ line: Substring) -> [String] {
        let protected = line.replacingOccurrences(of: "\\|", with: "\u{1}")
        return protected.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
            .map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\u{1}", with: "\\|") }
    }
}
