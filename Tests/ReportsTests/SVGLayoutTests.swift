// Check by measuring: every SVG a report writes keeps its text (legends, notes, tick labels,
// titles) inside the figure, and no two text labels overlap. Each <text> element's box is
// computed from the same font metrics the layout uses (TextMetrics: DejaVu Sans advance widths,
// ascent and descent), placed by its x, y, text-anchor and rotate(...) transform.

#if canImport(FoundationXML)
import Core
import FoundationXML
#endif
import Foundation
import Reports
import Training
import XCTest

/// One <text> element's box in SVG pixels, with its string for messages.
struct TextBox {
    var text: String
    var x0: Double, y0: Double, x1: Double, y1: Double

    func overlaps(_ o: TextBox, slack: Double = 0.5) -> Bool {
        x0 + slack < o.x1 && o.x0 + slack < x1 && y0 + slack < o.y1 && o.y0 + slack < y1
    }
}

/// The root <svg>'s width and height and the box of every non-empty <text> in it.
final class SVGTextBoxes: NSObject, XMLParserDelegate {
    var width = 0.0, height = 0.0
    var boxes: [TextBox] = []
    private var open: [String: String]?
    private var content = ""
    private var depth = 0

    static func measure(_ svg: String) -> SVGTextBoxes? {
        let m = SVGTextBoxes()
        let parser = XMLParser(data: Foundation.Data(svg.utf8))
        parser.delegate = m
        return parser.parse() ? m : nil
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if name == "svg" {
            depth += 1
            if depth == 1 { width = Double(attributes["width"] ?? "") ?? 0; height = Double(attributes["height"] ?? "") ?? 0 }
        }
        if name == "text" { open = attributes; content = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { if open != nil { content += string } }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        guard name == "text", let a = open else { return }
        open = nil
        guard !content.isEmpty, let x = Double(a["x"] ?? ""), let y = Double(a["y"] ?? ""),
              let size = Double(a["font-size"] ?? "") else { return }
        let w = TextMetrics.width(content, size: size, bold: a["font-weight"] == "bold")
        let left: Double
        switch a["text-anchor"] {
        case "middle": left = x - w / 2
        case "end": left = x - w
        default: left = x
        }
        var box = TextBox(text: content, x0: left, y0: y - TextMetrics.ascent * size, x1: left + w, y1: y + TextMetrics.descent * size)
        if let t = a["transform"], t.hasPrefix("rotate(-90 ") {
            // rotate(-90 x y): (px, py) -> (x + (py - y), y - (px - x))
            box = TextBox(text: content, x0: x + (box.y0 - y), y0: y - (box.x1 - x), x1: x + (box.y1 - y), y1: y - (box.x0 - x))
        }
        boxes.append(box)
    }
}

final class SVGLayoutTests: XCTestCase {
    /// Fails for each text box outside the figure and each pair of overlapping boxes.
    func assertLegible(_ svg: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let m = SVGTextBoxes.measure(svg) else { return XCTFail("\(what): not well-formed", file: file, line: line) }
        XCTAssertGreaterThan(m.width, 0, what, file: file, line: line)
        XCTAssertFalse(m.boxes.isEmpty, "\(what): no text measured", file: file, line: line)
        for b in m.boxes where b.x0 < -0.5 || b.y0 < -0.5 || b.x1 > m.width + 0.5 || b.y1 > m.height + 0.5 {
            XCTFail("\(what): '\(b.text)' (\(Int(b.x0))...\(Int(b.x1)), \(Int(b.y0))...\(Int(b.y1))) outside the \(Int(m.width))x\(Int(m.height)) figure",
                    file: file, line: line)
        }
        for i in m.boxes.indices {
            for j in m.boxes.indices where j > i && m.boxes[i].overlaps(m.boxes[j]) {
                XCTFail("\(what): '\(m.boxes[i].text)' overlaps '\(m.boxes[j].text)'", file: file, line: line)
            }
        }
    }

    /// An experiment like configs/experiments/init.yaml: three variants with identical curves and
    /// diagnostics (they coincide), one with different numbers, two long names; plus a single run
    /// with a step timeline. Every chart type a report draws is among them (feature maps use the
    /// filters' image grid).
    func testEveryReportFigureKeepsItsTextInsideAndApart() throws {
        let root = try scratchDirectory(self) + "/init"
        for name in ["zeros", "normal-0.01", "alexnet"] { try writeSyntheticRun(folder: root + "/" + name, seed: 0) }
        try writeSyntheticRun(folder: root + "/he", seed: 2)
        try writeSyntheticRun(folder: root + "/bias-minus-10 with a rather long variant name", seed: 0, extras: false)
        try writeSyntheticRun(folder: root + "/lenet5-sigmoid-lr0.5-batch128-momentum0.9-nesterov", seed: 0, extras: false)
        let solo = try scratchDirectory(self) + "/solo"
        try writeSyntheticRun(folder: solo, seed: 0)
        // a step timeline too (dtrain train --trace): two ranks, every phase
        let phases = ["data", "forward", "backward", "wait", "allreduce", "optimizer"]
        let events = (0..<2).flatMap { rank in
            phases.enumerated().map { k, phase in
                "{\"ph\": \"X\", \"name\": \"\(phase)\", \"pid\": \(rank), \"ts\": \(k * 100), \"dur\": \(90 + 5 * rank)}"
            }
        }
        try ("{\"traceEvents\": [" + events.joined(separator: ", ") + "]}").write(toFile: solo + "/trace.json", atomically: true, encoding: .utf8)
        var checked = 0
        for folder in [root, solo] {
            for path in try Report.build(folder: folder) where path.hasSuffix(".svg") {
                assertLegible(try String(contentsOfFile: path, encoding: .utf8), path)
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 20)
        XCTAssertTrue(FileManager.default.fileExists(atPath: solo + "/timeline.svg"))
    }

    /// A launch/scale --link sweep folder: np=1 points, two links with fp32/fp16 points at np=2 and
    /// np=4, each link's fit, and forced-algorithm timings; every SVG `dtrain scale report` writes
    /// (scale.svg, link-*.svg, algorithms-*.svg, projection.svg) keeps its text inside and apart.
    func testScalingFiguresKeepTheirTextInsideAndApart() throws {
        let folder = try scratchDirectory(self)
        var lines: [String] = []
        func bench(_ model: String, np: Int, compress: String, wire: Int, exchangeUs: Double) -> TrainBenchRecord {
            var b = TrainBenchRecord()
            b.model = model; b.worldSize = np; b.batch = 32; b.steps = 10; b.stepMs = 40 + exchangeUs / 1000
            b.imagesPerSec = Double(32 * np) / b.stepMs * 1000; b.computeMs = 39; b.optimizerMs = 0.3; b.dataMs = 0.1
            b.waitMs = 0.01; b.allreduceMs = exchangeUs / 1000; b.sgemmGFLOPs = 90
            if np > 1 {
                var e = ExchangeBenchRecord()
                e.strategy = "flat"; e.medianUs = exchangeUs; e.bareAllreduceUs = exchangeUs; e.compress = compress; e.wireBytesPerStep = wire
                b.exchange = e
            }
            return b
        }
        for model in ["lenet5", "mnist-alexnet-with-a-long-name"] {
            for compress in ["none", "fp16"] {
                lines.append(ScalePointRecord(mode: "link", strategy: "flat", np: 1, batchPerRank: 32, oversubscribed: false, status: "ok",
                                              bench: bench(model, np: 1, compress: compress, wire: 0, exchangeUs: 500)).jsonText())
            }
        }
        for (link, us) in [("1gbit", 20_000.0), ("2.5gbit", 8_000.0)] {
            for model in ["lenet5", "mnist-alexnet-with-a-long-name"] {
                for np in [2, 4] {
                    for (compress, wire) in [("none", 2_529_012), ("fp16", 1_264_518)] {
                        var r = ScalePointRecord(mode: "link", strategy: "flat", np: np, batchPerRank: 32, oversubscribed: np > 2, status: "ok",
                                                 bench: bench(model, np: np, compress: compress, wire: wire, exchangeUs: us * Double(wire) / 2_529_012))
                        r.link = link; r.ranksPerHost = np / 2
                        lines.append(r.jsonText())
                    }
                }
            }
            let samples = [65_536, 262_144, 1 << 20, 4 << 20].map { AllreduceSample(bytes: $0, seconds: Double($0) * us / 2.5e12 + 1e-5) }
            try CommFitFile.save(try RingFit(samples: samples, ranks: 2, algorithm: .mpiDefault), host: "test",
                                 to: LinkComparisons.fitPath(folder: folder, link: link))
            try FileManager.default.createDirectory(atPath: folder + "/algorithms", withIntermediateDirectories: true)
            for a in ["ring", "recursive-doubling", "rabenseifner"] {
                let r = AllreduceBenchRecord(worldSize: 2, repeats: 5, samples: samples.map {
                    AllreduceBenchRecord.Sample(bytes: $0.bytes, us: $0.seconds * 1e6, algbwGBs: Double($0.bytes) / $0.seconds / 1e9) }, algorithm: a)
                try r.jsonText().write(toFile: folder + "/algorithms/\(link)-np2-\(a).json", atomically: true, encoding: .utf8)
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: folder + "/points.jsonl", atomically: true, encoding: .utf8)

        let sweep = try ScalingSweep.load(folder: folder)
        var report = ScalingReport(sweep: sweep, projections: [], fit: nil, command: "launch/scale --link", cores: 2)
        report.links = LinkComparisons.build(sweep: sweep, folder: folder) { XCTFail("skipped: \($0)") }
        report.validations = try AlgorithmValidation.load(folder: folder)
        XCTAssertEqual(report.links.count, 16)
        XCTAssertEqual(report.validations.count, 2)
        let compute = ComputeCost(secondsPerImage: 1e-3, source: "stated")
        report.projections = [[.ethernet10, .ethernet100].map {
            ScalingProjection(modelName: "lenet5", parameters: 61_706, compute: compute, batchPerRank: 64, network: $0) }]
        let written = try report.write(folder: folder).filter { $0.hasSuffix(".svg") }
        XCTAssertEqual(Set(written.map { ($0 as NSString).lastPathComponent }),
                       ["scale.svg", "link-lenet5-np2.svg", "link-lenet5-np4.svg", "link-mnist-alexnet-with-a-long-name-np2.svg",
                        "link-mnist-alexnet-with-a-long-name-np4.svg", "algorithms-1gbit-np2.svg", "algorithms-2.5gbit-np2.svg"])
        for path in written { assertLegible(try String(contentsOfFile: path, encoding: .utf8), path) }
        assertLegible(report.projectionSVG(), "projection.svg")
    }

    /// Real reports, when DTRAIN_LAYOUT_FOLDERS names their folders (colon-separated; e.g. the
    /// runs/render/* folders launch/render-reports writes): every .svg in them, as it lies.
    func testReportFoldersNamedInTheEnvironment() throws {
        guard let list = ProcessInfo.processInfo.environment["DTRAIN_LAYOUT_FOLDERS"], !list.isEmpty else {
            throw XCTSkip("DTRAIN_LAYOUT_FOLDERS not set")
        }
        var checked = 0
        for folder in list.split(separator: ":").map(String.init) {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".svg") }.sorted()
            XCTAssertFalse(names.isEmpty, "\(folder): no .svg")
            for name in names {
                assertLegible(try String(contentsOfFile: folder + "/" + name, encoding: .utf8), folder + "/" + name)
                checked += 1
            }
        }
        print("SVGLayoutTests: \(checked) SVGs checked in \(list)")
    }

    /// The measurement itself: a label and one drawn over it collide; side by side they do not;
    /// a rotated y-axis title is measured upright along y.
    func testMeasurementFindsOverlapAndOverflow() throws {
        let width = TextMetrics.width("overlap", size: 11)
        let svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="100" height="200">
            <text x="10" y="20" font-size="11">overlap</text>
            <text x="\(10 + width - 2)" y="22" font-size="11">next</text>
            <text x="\(10 + width + 1)" y="60" font-size="11">apart</text>
            <text x="30" y="150" font-size="11" transform="rotate(-90 30 150)">a rotated title</text>
            </svg>
            """
        let m = try XCTUnwrap(SVGTextBoxes.measure(svg))
        XCTAssertEqual(m.boxes.count, 4)
        XCTAssertTrue(m.boxes[0].overlaps(m.boxes[1]))
        XCTAssertFalse(m.boxes[0].overlaps(m.boxes[2]))
        let rotated = m.boxes[3]
        XCTAssertEqual(rotated.y1 - rotated.y0, TextMetrics.width("a rotated title", size: 11), accuracy: 1e-9)
        XCTAssertLessThan(rotated.x1 - rotated.x0, 14)
        XCTAssertGreaterThan(m.boxes[0].x1, 10 + width - 1e-9)
    }

    func testTextMetricsUseDejaVuWidths() {
        // DejaVu Sans: "i" 569, "m" 1995, "0" 1303 units of 2048; bold "0" 1425.
        XCTAssertEqual(TextMetrics.width("i", size: 2048), 569)
        XCTAssertEqual(TextMetrics.width("m0", size: 2048), 1995 + 1303)
        XCTAssertEqual(TextMetrics.width("0", size: 2048, bold: true), 1425)
        XCTAssertGreaterThan(TextMetrics.width("WWW", size: 10), TextMetrics.width("iii", size: 10) * 3)
        XCTAssertEqual(TextMetrics.wrap("alpha beta gamma", size: 10, width: TextMetrics.width("alpha beta", size: 10)),
                       ["alpha beta", "gamma"])
        // a word wider than the line is cut into pieces that fit, nothing lost
        let cut = TextMetrics.wrap("unbreakable-variant-name", size: 10, width: 30)
        XCTAssertGreaterThan(cut.count, 1)
        XCTAssertEqual(cut.joined(), "unbreakable-variant-name")
        for piece in cut { XCTAssertLessThanOrEqual(TextMetrics.width(piece, size: 10), 30, piece) }
        XCTAssertEqual(TextMetrics.wrap("i", size: 10, width: 1), ["i"], "one character always makes a line")
    }
}
