// Datasets beyond MNIST end to end (issue 15): small CIFAR-10 binaries and an image folder, made
// here with class-dependent patterns a small network learns in one epoch, are loaded, sharded
// across 2 ranks, trained to better than chance, and resumed bit-identically; the checkpoint keeps
// the class names and `eval` prints them. Each run takes a few seconds.

import Core
import Foundation
import XCTest
import Training

final class DatasetTrainingTests: XCTestCase {
    /// A small colour network for 3x32x32: conv 8 -> pool -> conv 16 -> pool -> linear.
    static let colourModel = """
        {name: tiny-colour, input: [3, 32, 32], init: he, layers: [
          {conv: {out: 8, kernel: 3, pad: 1}}, relu, {maxpool: {kernel: 2}},
          {conv: {out: 16, kernel: 3, pad: 1}}, relu, {maxpool: {kernel: 4}},
          flatten, {linear: {out: CLASSES}}]}
        """

    /// Class k of 10: a bright 8x8 square at column k % 4, row k / 4 (of 8-px cells) in colour
    /// channel k % 3, on noise: the network must find where and in which channel.
    static func cifarRecord(label: Int, seed: Int) -> [UInt8] {
        var record = [UInt8(label)]
        var state = UInt32(truncatingIfNeeded: seed &* 2_654_435_761 &+ 12345)
        for c in 0 ..< 3 {
            for y in 0 ..< 32 {
                for x in 0 ..< 32 {
                    state = state &* 1_664_525 &+ 1_013_904_223
                    let noise = Int(state >> 26)                     // 0...63
                    let inSquare = x / 8 == label % 4 && y / 8 == label / 4 && c == label % 3
                    record.append(UInt8(inSquare ? 190 + noise : 40 + noise))
                }
            }
        }
        return record
    }

    /// data_batch_1..5.bin of 300 records each and test_batch.bin of 500, plus batches.meta.txt.
    static func writeCIFAR10(_ folder: String) throws {
        var n = 0
        for file in (1 ... 5).map({ "data_batch_\($0).bin" }) + ["test_batch.bin"] {
            let count = file == "test_batch.bin" ? 500 : 300
            var bytes: [UInt8] = []
            for _ in 0 ..< count { bytes += cifarRecord(label: n % 10, seed: n); n += 1 }
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + file))
        }
        let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        try (names.joined(separator: "\n") + "\n").write(toFile: folder + "/batches.meta.txt", atomically: true, encoding: .utf8)
    }

    func config(_ folder: String, data: String, classes: Int, extra: String = "") throws -> String {
        let path = folder + "/run.yaml"
        try """
            model: \(Self.colourModel.replacingOccurrences(of: "CLASSES", with: "\(classes)"))
            \(data)
            train: {epochs: 1, batch_size: 16, lr: 0.05, momentum: 0.9, weight_decay: 0.0005, schedule: constant}
            seed: 7
            output: \(folder)/out
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// One epoch at np=2 on the CIFAR-10 binaries (1,500 training images, 200 held out): test
    /// accuracy well above chance (10%); the checkpoint's metadata holds the class names.
    func testCIFAR10TrainsAtTwoRanksAndKeepsClassNames() throws {
        let folder = try makeTempFolder("cifar")
        try FileManager.default.createDirectory(atPath: folder + "/cifar", withIntermediateDirectories: true)
        try Self.writeCIFAR10(folder + "/cifar")
        let cfg = try config(folder, data: "data: {dataset: cifar10, path: \(folder)/cifar, validation: 200, "
                                 + "normalize: {mean: [0.3, 0.3, 0.3], std: [0.25, 0.25, 0.25]}, augment: {flip: true}}",
                             classes: 10)
        let r = try dtrain(["train", "--config", cfg], ranks: 2, timeout: 300)
        assertSucceeded(r, "CIFAR-10 at np=2")
        let metrics = try readMetrics(folder + "/out")
        let accuracy = try XCTUnwrap(metrics.last.flatMap { number($0, "test_accuracy") })
        XCTAssertGreaterThan(accuracy, 40, "one epoch should be far above chance (10%): \(accuracy)%")
        let meta = try SafeTensorsFile.open(path: folder + "/out/latest.safetensors").metadata
        XCTAssertEqual(meta["class_names"]?.contains("automobile"), true, "no class names in \(meta.keys.sorted())")
        let e = try dtrain(["eval", "--checkpoint", folder + "/out/latest.safetensors"], timeout: 120)
        assertSucceeded(e, "eval of the CIFAR checkpoint")
        XCTAssertTrue(e.stdout.contains("truck"), "eval should print class names:\n\(e.stdout)")
    }

    /// Stopped after 20 steps and resumed to 40 at np=2, the CIFAR run ends bit-identical to one
    /// that ran 40 steps straight (augmentation included: the draws depend on the sample only).
    func testCIFAR10ResumeIsBitIdentical() throws {
        let folder = try makeTempFolder("cifar-resume")
        try FileManager.default.createDirectory(atPath: folder + "/cifar", withIntermediateDirectories: true)
        try Self.writeCIFAR10(folder + "/cifar")
        let data = "data: {dataset: cifar10, path: \(folder)/cifar, validation: 200, augment: {crop: {pad: 4}, flip: true}}"
        let cfg = try config(folder, data: data, classes: 10)
        let a = try dtrain(["train", "--config", cfg, "--set", "train.max_steps=40", "--set", "output=\(folder)/A"], ranks: 2, timeout: 300)
        assertSucceeded(a, "40 steps straight")
        let b = try dtrain(["train", "--config", cfg, "--set", "train.max_steps=20", "--set", "output=\(folder)/B"], ranks: 2, timeout: 300)
        assertSucceeded(b, "20 steps")
        let c = try dtrain(["train", "--resume", folder + "/B", "--set", "train.max_steps=40"], ranks: 2, timeout: 300)
        assertSucceeded(c, "resume to 40 steps")
        let d = try compareTensors(folder + "/A/latest.safetensors", folder + "/B/latest.safetensors")
        XCTAssertTrue(d.bitEqual, "resumed CIFAR run differs: max |difference| \(d.maxDifference) in \(d.worst)")
    }

    /// An image folder of 3 classes (PPM colour and PGM grey mixed, 40x40 resized to 32x32; 540
    /// training images at a global batch of 16): one epoch at np=2 beats chance (33%) clearly; the
    /// class names are the folder names.
    func testImageFolderTrainsAtTwoRanks() throws {
        let folder = try makeTempFolder("folder")
        let classes = ["bands", "columns", "dots"]
        for part in ["train", "test"] {
            for (k, name) in classes.enumerated() {
                let dir = "\(folder)/images/\(part)/\(name)"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for i in 0 ..< (part == "train" ? 200 : 30) {
                    let grey = i % 4 == 0
                    var pixels: [UInt8] = []
                    for y in 0 ..< 40 {
                        for x in 0 ..< 40 {
                            let on: Bool
                            switch k {
                            case 0: on = (y + i) % 10 < 5                // horizontal bands
                            case 1: on = (x + i) % 10 < 5                // vertical bands
                            default: on = (x + i) % 10 < 3 && (y + i) % 10 < 3
                            }
                            let v: UInt8 = on ? 220 : 30
                            pixels += grey ? [v] : [v, UInt8(255 - Int(v) / 2), v]
                        }
                    }
                    let header = Array("\(grey ? "P5" : "P6")\n40 40\n255\n".utf8)
                    try Data(header + pixels).write(to: URL(fileURLWithPath: "\(dir)/img\(i).\(grey ? "pgm" : "ppm")"))
                }
            }
        }
        let cfg = try config(folder, data: "data: {dataset: folder, path: \(folder)/images, validation: 60}", classes: 3)
        let r = try dtrain(["train", "--config", cfg, "--set", "train.batch_size=8", "--set", "train.lr=0.02"], ranks: 2, timeout: 300)
        assertSucceeded(r, "image folder at np=2")
        let accuracy = try XCTUnwrap(try readMetrics(folder + "/out").last.flatMap { number($0, "test_accuracy") })
        XCTAssertGreaterThan(accuracy, 60, "one epoch should beat chance (33%) clearly: \(accuracy)%")
        let meta = try SafeTensorsFile.open(path: folder + "/out/latest.safetensors").metadata
        XCTAssertEqual(meta["class_names"].map { $0.contains("columns") }, true)
        // predict resizes images for a non-digit model and prints the class names
        let images = ["bands/img1.ppm", "columns/img2.ppm", "dots/img4.pgm"].map { "\(folder)/images/test/\($0)" }
        let p = try dtrain(["predict", "--checkpoint", folder + "/out"] + images, timeout: 60)
        assertSucceeded(p, "predict with the folder model")
        let lines = p.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, p.stdout)
        for (line, name) in zip(lines, ["0 bands", "1 columns", "2 dots"]) {
            XCTAssertTrue(line.contains(": \(name) ("), "expected \(name) first: \(line)")
        }
    }

    /// A CIFAR batch whose size is not a whole number of records, and an unknown dataset name:
    /// exit 2 with one line naming the file or key.
    func testBadDatasetInputExitsTwo() throws {
        let folder = try makeTempFolder("cifar-bad")
        try FileManager.default.createDirectory(atPath: folder + "/cifar", withIntermediateDirectories: true)
        try Self.writeCIFAR10(folder + "/cifar")
        let cut = folder + "/cifar/data_batch_3.bin"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: cut))
        try bytes.prefix(bytes.count - 5).write(to: URL(fileURLWithPath: cut))
        let cfg = try config(folder, data: "data: {dataset: cifar10, path: \(folder)/cifar, validation: 200}", classes: 10)
        let r = try dtrain(["train", "--config", cfg], ranks: 2, timeout: 120)
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stderr.contains("data_batch_3.bin") && r.stderr.contains("3073"), r.stderr)
        let bad = try config(folder, data: "data: {dataset: cifar11, path: \(folder)/cifar}", classes: 10)
        let u = try dtrain(["train", "--config", bad], timeout: 60)
        XCTAssertEqual(u.status, 2, "\(u)")
        XCTAssertTrue(u.stderr.contains("cifar11") && u.stderr.contains("cifar10"), u.stderr)
    }
}
