// dtrain inspect on a checkpoint trained here (one epoch of the small MNIST): a test digit's
// feature maps at default and chosen layers, an image file's, and the first layer's filters, as
// SVG and PNG; every bad flag exits 2 with one line.

import Foundation
import XCTest

final class InspectTests: XCTestCase {
    nonisolated(unsafe) private static var trained: String?

    /// A run folder with a checkpoint of LeNet-5 (one epoch of the small MNIST), made once.
    private func checkpoint() throws -> String {
        if let trained = Self.trained { return trained }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-it-inspect-\(getpid())").path
        let r = try dtrain(["train", "--config", lenetConfig]
                           + sets(["train.epochs": 1, "data.path": try SmallMNIST.folder(), "data.validation": 0,
                                   "train.batch_size": 32, "output": folder]))
        assertSucceeded(r, "training the checkpoint to inspect")
        Self.trained = folder
        return folder
    }

    override class func tearDown() {
        if let trained { try? FileManager.default.removeItem(atPath: trained) }
    }

    private func file(_ path: String) -> [UInt8] { FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? [] }

    func testTestDigitAtDefaultAndChosenLayers() throws {
        let run = try checkpoint(), out = try makeTempFolder("inspect")
        let r = try dtrain(["inspect", "--checkpoint", run, "--index", "7", "--out", out + "/default"])
        assertSucceeded(r, "inspect --index 7")
        XCTAssertTrue(r.stdout.contains("test image 7 of mnist (label "), r.stdout)
        let svg = String(decoding: file(out + "/default/features.svg"), as: UTF8.self)
        for caption in ["conv1 ch 0", "conv1 ch 5", "maxpool2 ch 15"] { XCTAssertTrue(svg.contains(">\(caption)<"), "no \(caption)") }
        XCTAssertFalse(svg.contains(">fc1"), "the default stops at the first flat layer")
        for name in ["features.png", "filters.png"] {
            XCTAssertEqual(Array(file(out + "/default/" + name).prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], name)
        }
        let filters = String(decoding: file(out + "/default/filters.svg"), as: UTF8.self)
        XCTAssertEqual(filters.components(separatedBy: ">filter ").count - 1, 6, "LeNet-5's conv1 has 6 filters")

        let chosen = try dtrain(["inspect", "--checkpoint", run, "--index", "0", "--layers", "conv2,fc1", "--out", out + "/chosen"])
        assertSucceeded(chosen, "inspect --layers conv2,fc1")
        let maps = String(decoding: file(out + "/chosen/features.svg"), as: UTF8.self)
        XCTAssertTrue(maps.contains(">conv2 ch 15<"), "every channel of a named layer")
        XCTAssertTrue(maps.contains(">fc1 (120 values)<"), "a flat layer as one strip")
        XCTAssertFalse(maps.contains(">conv1 ch"), "only the named layers")
    }

    func testImageFileIsPreparedAsPredictDoes() throws {
        let run = try checkpoint(), out = try makeTempFolder("inspect-image")
        let image = packageRoot + "/Tests/DatasetsTests/Fixtures/images/gray8.png"
        let r = try dtrain(["inspect", "--checkpoint", run, "--image", image, "--layers", "conv1", "--out", out])
        assertSucceeded(r, "inspect --image")
        XCTAssertTrue(String(decoding: file(out + "/features.svg"), as: UTF8.self).contains(">conv1 ch 5<"))
    }

    func testBadFlagsExitTwoWithOneLine() throws {
        let run = try checkpoint(), out = try makeTempFolder("inspect-bad")
        let cases: [([String], String)] = [
            (["--checkpoint", run], "--index N"),
            (["--checkpoint", run, "--index", "1", "--image", "x.png"], "not both"),
            (["--checkpoint", run, "--index=-1"], "--index -1"),
            (["--checkpoint", run, "--index", "1024"], "has 1024 images"),
            (["--checkpoint", run, "--index", "1", "--layers", "conv1,,fc1"], "--layers"),
            (["--checkpoint", run, "--index", "1", "--layers", "conv9"], "conv9: no such layer"),
            (["--checkpoint", run, "--image", out + "/missing.png"], "missing.png"),
            (["--checkpoint", out, "--index", "1"], out),
            (["--checkpoint", lenetConfig, "--index", "1"], "lenet5.yaml"),
        ]
        for (args, expected) in cases {
            let r = try dtrain(["inspect", "--out", out + "/o"] + args)
            XCTAssertEqual(r.status, 2, "\(args): expected exit 2\n\(r)")
            XCTAssertEqual(r.stderrLines.count, 1, "\(args): one line\n\(r)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): expected '\(expected)' in \(r.stderr)")
        }
    }
}
