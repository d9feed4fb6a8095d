// Experiments and reports end to end (issue 7): a tiny two-variant experiment (ReLU vs sigmoid
// LeNet-5, 30 steps on the small MNIST) run by `dtrain experiment`, then rebuilt by `dtrain report`:
// the report files exist, every SVG is well-formed XML, summary.md's numbers are metrics.jsonl's,
// report.html references nothing outside itself, and the per-epoch diagnostics and artifacts are
// written for each variant.

import Core
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import Training

final class ExperimentTests: XCTestCase {
    private let variants = ["relu", "sigmoid"]

    func testTinyExperimentReportAndRebuild() throws {
        let tmp = try makeTempFolder("experiment")
        let output = tmp + "/out"
        let experiment = tmp + "/tiny.yaml"
        try """
        # written by ExperimentTests
        base: \(lenetConfig)
        set: {train.epochs: 1, train.max_steps: 30, data.path: \(try SmallMNIST.folder()), data.validation: 256}
        variants:
          relu: {}
          sigmoid: {model: \(packageRoot)/configs/models/lenet5-sigmoid.yaml}
        """.write(toFile: experiment, atomically: true, encoding: .utf8)

        let r = try dtrain(["experiment", experiment, "--output", output], timeout: 120)
        assertSucceeded(r, "dtrain experiment")
        guard r.status == 0 else { return }
        for name in ["report.html", "summary.md", "loss.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(output)/\(name)"), "\(name) is missing")
        }
        try checkReport(output)

        // rebuild from the run files alone
        for name in ["report.html", "summary.md", "loss.svg"] { try FileManager.default.removeItem(atPath: "\(output)/\(name)") }
        let rebuilt = try dtrain(["report", output], timeout: 60)
        assertSucceeded(rebuilt, "dtrain report")
        for name in ["report.html", "summary.md", "loss.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(output)/\(name)"), "dtrain report did not rebuild \(name)")
        }
        try checkReport(output)
    }

    private func checkReport(_ output: String, file: StaticString = #filePath, line: UInt = #line) throws {
        // every SVG parses as XML
        let svgs = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.hasSuffix(".svg") }.sorted()
        XCTAssertGreaterThanOrEqual(svgs.count, 3, "too few plots: \(svgs)", file: file, line: line)
        for svg in svgs {
            let parser = XMLParser(contentsOf: URL(fileURLWithPath: "\(output)/\(svg)"))!
            let ok = parser.parse()
            XCTAssertTrue(ok, "\(svg) is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)",
                          file: file, line: line)
        }

        // summary.md: the test accuracy of each variant is the last test_accuracy of its metrics
        let summary = try String(contentsOfFile: output + "/summary.md", encoding: .utf8)
        let rows = summary.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) } }
        guard let header = rows.first(where: { $0.contains("variant") }),
              let column = header.firstIndex(where: { $0.hasPrefix("test acc") }) else {
            return XCTFail("summary.md has no table with variant and test acc columns:\n\(summary)", file: file, line: line)
        }
        for variant in variants {
            let metrics = try readMetrics("\(output)/\(variant)")
            let last = try XCTUnwrap(metrics.last.flatMap { number($0, "test_accuracy") }, "\(variant): no test_accuracy")
            guard let row = rows.first(where: { $0.count > column && $0[1] == variant }) else {
                XCTFail("summary.md has no row for \(variant):\n\(summary)", file: file, line: line)
                continue
            }
            let printed = row[column]
            let decimals = printed.split(separator: ".").dropFirst().first?.count ?? 0
            guard let value = Double(printed) else {
                XCTFail("\(variant): test accuracy '\(printed)' is not a number", file: file, line: line)
                continue
            }
            XCTAssertLessThanOrEqual(abs(value - last), 0.5 * pow(10, -Double(decimals)) + 1e-9,
                                     "\(variant): summary.md says \(printed), metrics.jsonl \(last)", file: file, line: line)

            // the per-epoch diagnostics
            for record in metrics {
                let diagnostics = record["diagnostics"] as? [String: Any]
                let layers = diagnostics?["layers"] as? [[String: Any]] ?? []
                XCTAssertFalse(layers.isEmpty, "\(variant): a metrics line has no diagnostics.layers", file: file, line: line)
                let conv1 = layers.first { $0["name"] as? String == "conv1" }
                XCTAssertNotNil(conv1.flatMap { number($0, "grad_norm") }, "\(variant): no conv1 grad_norm", file: file, line: line)
                XCTAssertNotNil(conv1.flatMap { number($0, "weight_norm") }, "\(variant): no conv1 weight_norm", file: file, line: line)
                if variant == "relu" {
                    let dead = layers.first { $0["name"] as? String == "relu1" }.flatMap { number($0, "dead_fraction") }
                    XCTAssertNotNil(dead, "relu: no relu1 dead_fraction in \(layers)", file: file, line: line)
                    if let dead { XCTAssertTrue((0...1).contains(dead), "relu1 dead_fraction \(dead)", file: file, line: line) }
                }
            }
            for artifact in ["confusion.json", "filters.json", "features.json"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: "\(output)/\(variant)/\(artifact)"),
                              "\(variant): \(artifact) is missing", file: file, line: line)
            }
        }

        // report.html is self-contained: every "http" is the SVG namespace, every href/src local
        let html = try String(contentsOfFile: output + "/report.html", encoding: .utf8)
        var search = html.startIndex..<html.endIndex
        var namespaces = 0
        while let found = html.range(of: "http", options: .caseInsensitive, range: search) {
            let rest = html[found.lowerBound...]
            if rest.hasPrefix("http://www.w3.org/2000/svg") { namespaces += 1 } else {
                XCTFail("report.html references \(rest.prefix(60))", file: file, line: line)
            }
            search = found.upperBound..<html.endIndex
        }
        XCTAssertGreaterThan(namespaces, 0, "report.html has no inline SVG", file: file, line: line)
        for attribute in ["href=\"", "src=\"", "url("] {
            var at = html.startIndex..<html.endIndex
            while let found = html.range(of: attribute, range: at) {
                let value = html[found.upperBound...]
                XCTAssertTrue(value.hasPrefix("#") || value.hasPrefix("data:") || value.hasPrefix("'#") || value.hasPrefix("#"),
                              "report.html: \(attribute)\(value.prefix(40)) is not local", file: file, line: line)
                at = found.upperBound..<html.endIndex
            }
        }
        XCTAssertFalse(html.contains("<script"), "report.html needs JavaScript", file: file, line: line)
    }
}
