// dtrain predict and dtrain read-digits end to end, with a LeNet-5 trained here for two epochs of
// configs/lenet5-photo.yaml (augmented MNIST; ~98.5% on the MNIST test set): MNIST test digits
// rendered as dark ink on light paper in PNG, JPEG and PGM files are classified; pages made by
// launch/make-digit-pages (photographed-looking, MNIST test-set digits, JPEG q70) are read with
// the right digit count and nearly all digits right; a blank page has 0 numbers; the annotated
// SVG has one box per digit and shows in `dtrain report`; bad images and a model of the wrong
// input shape exit 2 with one line naming the file. The page tests need /usr/bin/python3 with
// PIL and numpy (launch/setup installs them) and skip with a message when it is missing.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

final class ReadDigitsTests: XCTestCase {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var trained: String?
    static let python = "/usr/bin/python3"

    /// The checkpoint of a two-epoch lenet5-photo run, trained once per test process.
    private func checkpoint() throws -> String {
        Self.lock.lock(); defer { Self.lock.unlock() }
        if let trained = Self.trained { return trained }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-it-photo-model-\(getpid())").path
        let r = try dtrain(["train", "--config", packageRoot + "/configs/lenet5-photo.yaml", "--comm", "local"]
                           + sets(["train.epochs": 2, "output": out, "data.path": mnistFolder, "diagnostics": false]), timeout: 600)
        assertSucceeded(r, "training the photo model")
        guard r.status == 0 else { throw SupportError("the photo model did not train") }
        atexit { if let t = ReadDigitsTests.trainedFolder { try? FileManager.default.removeItem(atPath: t) } }
        Self.trainedFolder = out
        Self.trained = out + "/latest.safetensors"
        return Self.trained!
    }
    nonisolated(unsafe) private static var trainedFolder: String?

    private func requirePIL() throws {
        let r = try runProcess(Self.python, ["-c", "import PIL, numpy"], timeout: 60)
        try XCTSkipUnless(r.status == 0, "skipped: \(Self.python) cannot import PIL and numpy (apt-get install python3-pil python3-numpy)")
    }

    /// launch/make-digit-pages into a fresh folder; returns the folder and its truth (image -> digits).
    private func makePages(_ args: [String]) throws -> (String, [String: [Int]]) {
        let folder = try makeTempFolder("pages")
        let r = try runProcess(packageRoot + "/launch/make-digit-pages", ["--out", folder] + args, timeout: 300)
        assertSucceeded(r, "make-digit-pages")
        var truth: [String: [Int]] = [:]
        let data = try XCTUnwrap(FileManager.default.contents(atPath: folder + "/truth.json"))
        for page in try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [[String: Any]]) {
            truth[folder + "/" + (page["image"] as! String)] = page["digits"] as? [Int]
        }
        return (folder, truth)
    }

    func testPredictClassifiesRenderedDigitsInEveryFormat() throws {
        try requirePIL()
        let model = try checkpoint()
        let folder = try makeTempFolder("digits")
        // MNIST test digits 0..29, scaled 4x, inverted to dark ink on off-white paper, with a margin
        // that puts the digit off-centre; saved round-robin as PNG, JPEG (q80) and binary PGM
        let script = """
            import gzip, sys, numpy as np
            from PIL import Image
            root, out = sys.argv[1], sys.argv[2]
            x = np.frombuffer(gzip.open(root + "/t10k-images-idx3-ubyte.gz").read()[16:], np.uint8).reshape(-1, 28, 28)
            y = np.frombuffer(gzip.open(root + "/t10k-labels-idx1-ubyte.gz").read()[8:], np.uint8)
            for i in range(30):
                d = Image.fromarray(255 - x[i]).resize((112, 112), Image.BILINEAR)
                page = Image.new("L", (180, 150), 235)
                page.paste(Image.fromarray(np.minimum(np.asarray(d), 235).astype(np.uint8)), (20 + i % 40, 10 + i % 25))
                ext = ["png", "jpg", "pgm"][i % 3]
                page.save(f"{out}/{i:02d}-{y[i]}.{ext}", quality=80) if ext == "jpg" else page.save(f"{out}/{i:02d}-{y[i]}.{ext}")
            """
        assertSucceeded(try runProcess(Self.python, ["-c", script, mnistFolder, folder], timeout: 120), "rendering digits")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { folder + "/" + $0 }
        XCTAssertEqual(files.count, 30)
        let r = try dtrain(["predict", "--checkpoint", model, "--json"] + files)
        assertSucceeded(r, "predict --json")
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 30)
        var right = 0
        for (file, line) in zip(files, lines) {
            let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(o["image"] as? String, file)
            let top = try XCTUnwrap(o["top"] as? [[String: Any]])
            XCTAssertEqual(top.count, 3)
            XCTAssertEqual(top[0]["label"] as? Int, o["label"] as? Int)
            let truth = Int(String(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent.last!))
            if o["label"] as? Int == truth { right += 1 }
        }
        XCTAssertGreaterThanOrEqual(right, 28, "predict got \(right) of 30 rendered MNIST test digits right\n\(r.stdout)")
        // the text form: `IMAGE: 7 (98.1%)  top-3: 7 98.1%, ...`, one line per image
        let text = try dtrain(["predict", "--checkpoint", model, files[0]])
        assertSucceeded(text, "predict")
        XCTAssertNotNil(text.stdout.range(of: #"^\S+: \d \(\d+\.\d%\)  top-3: \d \d+\.\d%, \d \d+\.\d%, \d \d+\.\d%\n$"#, options: .regularExpression), text.stdout)
    }

    func testReadDigitsReadsGeneratedPagesAndAnnotatesThem() throws {
        try requirePIL()
        let model = try checkpoint()
        let (_, truth) = try makePages(["--pages", "4", "--seed", "11", "--megapixels", "1,2"])
        let photos = truth.keys.sorted()
        let r = try dtrain(["read-digits", "--checkpoint", model, "--json"] + photos, timeout: 300)
        assertSucceeded(r, "read-digits --json")
        let objects = try r.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(objects.count, photos.count)
        var wrong = 0, total = 0, rightCounts = 0
        for (photo, o) in zip(photos, objects) {
            XCTAssertEqual(o["image"] as? String, photo)
            let digits = try XCTUnwrap(o["digits"] as? [[String: Any]])
            let labels = digits.compactMap { $0["label"] as? Int }
            let expected = truth[photo]!
            if labels.count == expected.count { rightCounts += 1 } else { print("\(photo): read \(labels), true \(expected)") }
            XCTAssertEqual(o["count"] as? Int, labels.count)
            XCTAssertEqual(o["text"] as? String, labels.map(String.init).joined(separator: " "))
            for d in digits {
                let box = try XCTUnwrap(d["box"] as? [Int])
                XCTAssertEqual(box.count, 4)
                XCTAssert(box[2] > 0 && box[3] > 0, "\(photo): empty box \(box)")
                XCTAssertNotNil(d["row"] as? Int)
                XCTAssert((0...1).contains(try XCTUnwrap(d["confidence"] as? Double)))
            }
            let rows = digits.compactMap { $0["row"] as? Int }
            XCTAssertEqual(rows, rows.sorted(), "\(photo): rows must come in reading order")
            wrong += editDistance(labels, expected)
            total += expected.count
        }
        // a two-epoch model and 4 pages: 84% of pages had the right count and 97.8% of digits were
        // right over 100 held-out pages with the 30-epoch model (README), so allow one page off
        XCTAssertGreaterThanOrEqual(rightCounts, photos.count - 1, "pages with the right count of digits")
        XCTAssertLessThanOrEqual(Double(wrong), 0.06 * Double(total), "\(wrong) of \(total) digits wrong\n\(r.stdout)")

        // the exact text line, and the annotation: one box per digit, inlined by `dtrain report`
        let runFolder = try makeTempFolder("annotated")
        let t = try dtrain(["read-digits", "--checkpoint", model, "--annotate", runFolder + "/read-digits", photos[0]])
        assertSucceeded(t, "read-digits --annotate")
        let n = try XCTUnwrap(objects[0]["count"] as? Int)
        XCTAssertNotNil(t.stdout.range(of: "^" + NSRegularExpression.escapedPattern(for: photos[0]) + " contains \(n) numbers:( \\d){\(n)}\n$",
                                       options: .regularExpression), t.stdout)
        let svgPath = runFolder + "/read-digits/" + URL(fileURLWithPath: photos[0]).deletingPathExtension().lastPathComponent + ".svg"
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "fill=\"none\" stroke=").count - 1, n, "one box per digit")
        XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse(), "the SVG is well-formed XML")
        try copyMetrics(into: runFolder)
        let report = try dtrain(["report", runFolder])
        assertSucceeded(report, "dtrain report with a read-digits folder")
        let html = try String(contentsOfFile: runFolder + "/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("id=\"read-digits\"") && html.contains(" contains \(n) numbers:"), "the report shows the annotated photo")
    }

    /// Levenshtein distance: the digits inserted, dropped or misread.
    private func editDistance(_ a: [Int], _ b: [Int]) -> Int {
        var previous = Array(0 ... b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() { current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))) }
            previous = current
        }
        return previous[b.count]
    }

    /// The trained run's metrics.jsonl copied into `folder`, so `dtrain report` takes it as a run folder.
    private func copyMetrics(into folder: String) throws {
        let trained = try XCTUnwrap(Self.trainedFolder)
        try FileManager.default.copyItem(atPath: trained + "/metrics.jsonl", toPath: folder + "/metrics.jsonl")
    }

    func testBlankPageHasNoNumbers() throws {
        try requirePIL()
        let model = try checkpoint()
        let (_, truth) = try makePages(["--pages", "1", "--seed", "4", "--megapixels", "1,1", "--blank", "1"])
        let photo = try XCTUnwrap(truth.keys.first)
        let r = try dtrain(["read-digits", "--checkpoint", model, photo])
        assertSucceeded(r, "read-digits on a blank page")
        XCTAssertEqual(r.stdout, "\(photo) contains 0 numbers:\n")
    }

    func testBadImagesExitTwoNamingTheFile() throws {
        let model = try checkpoint()
        let folder = try makeTempFolder("bad-images")
        let jpeg = try XCTUnwrap(FileManager.default.contents(atPath: packageRoot + "/Tests/DatasetsTests/Fixtures/images/gray.jpg"))
        let cases: [(String, Data, String)] = [
            ("empty.png", Data(), "empty"),
            ("notes.jpg", Data("just some text\n".utf8), "not a"),
            ("cut.jpg", jpeg.prefix(jpeg.count / 2), "JPEG"),
            ("bomb.pgm", Data("P5\n100000 100000\n255\n".utf8) + Data(repeating: 0, count: 64), "limit"),
        ]
        for (name, bytes, phrase) in cases {
            let path = folder + "/" + name
            try bytes.write(to: URL(fileURLWithPath: path))
            for command in ["predict", "read-digits"] {
                let r = try dtrain([command, "--checkpoint", model, path])
                XCTAssertEqual(r.status, 2, "\(command) \(name): expected exit 2\n\(r)")
                XCTAssertEqual(r.stderrLines.count, 1, "\(command) \(name): one line\n\(r)")
                XCTAssertTrue(r.stderr.contains(path), "\(command) \(name): the message names the file\n\(r)")
                XCTAssertTrue(r.stderr.lowercased().contains(phrase.lowercased()), "\(command) \(name): says '\(phrase)'\n\(r)")
            }
        }
    }
}
