// TrainingData.load for the catalog's datasets: the run config's data.dataset / data.split /
// data.labels keys, the model checked against the data before training (input shape and class
// count, both named), the validation tail and class names, and the pre-flight fingerprint over
// the dataset's own files. Small CIFAR-10 batches and image folders are written here.

import Core
import Datasets
import Foundation
import NN
import TestSupport
import Training
import XCTest

final class TrainingDataTests: XCTestCase {
    /// A fresh folder, removed when the test ends; $DTRAIN_CACHE points into it meanwhile, so the
    /// pixel cache files the loads make are the test's own.
    private func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "dtrain-trainingdata-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let previous = ProcessInfo.processInfo.environment["DTRAIN_CACHE"]
        setenv("DTRAIN_CACHE", path + "/cache", 1)
        addTeardownBlock {
            if let previous { setenv("DTRAIN_CACHE", previous, 1) } else { unsetenv("DTRAIN_CACHE") }
            try? FileManager.default.removeItem(atPath: path)
        }
        return path
    }

    private func write(_ path: String, _ bytes: [UInt8]) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Foundation.Data(bytes)) else { throw InputError("\(path): not written") }
    }

    /// CIFAR-10 batches of `perBatch` records each (label i % 10, pixels i-dependent) and a 20-record test batch.
    private func writeCIFAR10(_ dir: String, perBatch: Int = 20) throws {
        func records(_ n: Int, first: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            for i in first ..< first + n {
                bytes.append(UInt8(i % 10))
                for k in 0 ..< 3072 { bytes.append(UInt8((k + i * 7) % 256)) }
            }
            return bytes
        }
        for b in 1 ... 5 { try write("\(dir)/data_batch_\(b).bin", records(perBatch, first: (b - 1) * perBatch)) }
        try write("\(dir)/test_batch.bin", records(20, first: 0))
    }

    /// A run config over an inline flatten + linear model of input `input` and `outputs` outputs.
    private func config(input: [Int], outputs: Int, data: String) throws -> RunConfig {
        let yaml = """
        model:
          name: flat
          input: [\(input.map(String.init).joined(separator: ", "))]
          layers: [flatten, {linear: {out: \(outputs)}}]
        data: \(data)
        """
        return try RunConfig.parse(ConfigValue.parse(yaml: yaml, file: "run.yaml"), file: "run.yaml")
    }

    func testCIFAR10LoadsWithValidationTailAndClassNames() throws {
        let dir = try scratch()
        try writeCIFAR10(dir)
        let run = try config(input: [3, 32, 32], outputs: 10, data: "{dataset: cifar10, path: \(dir), validation: 30}")
        XCTAssertEqual(run.data.dataset, .cifar10)
        let data = try TrainingData.load(run)
        XCTAssertEqual(data.train.count, 70)
        XCTAssertEqual(data.validation?.count, 30)
        XCTAssertEqual(data.test.count, 20)
        XCTAssertEqual(data.classNames, ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
                       "no batches.meta.txt: CIFAR-10's standard names")
        XCTAssertEqual(data.validation?.labels, (70 ..< 100).map { Int32($0 % 10) })
    }

    func testModelIsCheckedAgainstTheData() throws {
        let dir = try scratch()
        try writeCIFAR10(dir, perBatch: 2)
        let grey = try config(input: [1, 32, 32], outputs: 10, data: "{dataset: cifar10, path: \(dir), validation: 0}")
        assertInputError(["run.yaml", "model input [1, 32, 32]", "cifar10", "[3, 32, 32]"]) { _ = try TrainingData.load(grey) }
        let narrow = try config(input: [3, 32, 32], outputs: 5, data: "{dataset: cifar10, path: \(dir), validation: 0}")
        assertInputError(["run.yaml", "5 outputs", "10 classes"]) { _ = try TrainingData.load(narrow) }
    }

    func testFolderImagesAreResizedToTheModelInput() throws {
        let dir = try scratch()
        for split in ["train", "test"] {
            for (k, name) in ["b", "a"].enumerated() {          // classes sort to a, b
                for i in 0 ..< 3 {
                    try write("\(dir)/\(split)/\(name)/\(i).pgm", Array("P5\n5 7\n255\n".utf8) + [UInt8](repeating: UInt8(100 * k + i), count: 35))
                }
            }
        }
        let run = try config(input: [3, 4, 6], outputs: 2, data: "{dataset: folder, path: \(dir), validation: 2}")
        let data = try TrainingData.load(run)
        XCTAssertEqual([data.train.channels, data.train.height, data.train.width], [3, 4, 6])
        XCTAssertEqual(data.classNames, ["a", "b"])
        XCTAssertEqual(data.train.count, 4)
        XCTAssertEqual(data.validation?.count, 2)
        XCTAssertEqual(data.test.labels, [0, 0, 0, 1, 1, 1])              // test: class by class
        // training images are in a fixed shuffle: each keeps its label (folder a holds 100...102)
        for set in [data.train, try XCTUnwrap(data.validation)] {
            for i in 0 ..< set.count {
                let image = set.pixels[i * 72 ..< (i + 1) * 72]
                XCTAssertEqual(Set(image).count, 1, "a flat image stays flat when resized")
                XCTAssertEqual(set.labels[i], image.first! >= 100 ? 0 : 1)
            }
        }
    }

    func testDataKeysParseAndMistakesNameTheFileAndKey() throws {
        XCTAssertEqual(try config(input: [1, 28, 28], outputs: 26, data: "{dataset: emnist, split: letters}").data.dataset, .emnist(.letters))
        XCTAssertEqual(try config(input: [3, 32, 32], outputs: 20, data: "{dataset: cifar100, labels: coarse}").data.dataset, .cifar100(.coarse))
        XCTAssertEqual(try config(input: [1, 28, 28], outputs: 10, data: "{path: d}").data.dataset, .mnist)
        assertInputError(["run.yaml", "data.split", "balanced"]) { _ = try self.config(input: [1, 28, 28], outputs: 10, data: "{dataset: emnist}") }
        assertInputError(["run.yaml", "data.dataset", "svhn", "fashion-mnist"]) { _ = try self.config(input: [1, 28, 28], outputs: 10, data: "{dataset: svhn}") }
        assertInputError(["run.yaml", "data.labels", "cifar100"]) { _ = try self.config(input: [1, 28, 28], outputs: 10, data: "{dataset: mnist, labels: fine}") }
        assertInputError(["run.yaml", "data.split", "emnist"]) { _ = try self.config(input: [3, 32, 32], outputs: 10, data: "{dataset: cifar10, split: digits}") }
    }

    func testPreflightFingerprintCoversTheDatasetFiles() throws {
        let dir = try scratch()
        try writeCIFAR10(dir, perBatch: 2)
        let run = try config(input: [3, 32, 32], outputs: 10, data: "{dataset: cifar10, path: \(dir), validation: 0}")
        func dataField() throws -> String { try Fingerprint.of(config: run, parameterCount: 1).fields.first { $0.key == "data" }!.value }
        let before = try dataField()
        XCTAssertTrue(before.hasPrefix("data_batch_1.bin="), before)
        XCTAssertTrue(before.contains(",test_batch.bin="), before)
        try write("\(dir)/data_batch_4.bin", [UInt8](repeating: 0, count: 3073))
        let after = try dataField()
        XCTAssertNotEqual(after, before)
        XCTAssertEqual(after.split(separator: ",").filter { !before.contains($0) }.map { $0.prefix(17) }, ["data_batch_4.bin="])

        let folder = try scratch()                              // more files than are listed: one combined checksum
        for i in 0 ..< 40 { try write("\(folder)/\(["train", "test"][i % 2])/c/\(i).pgm", Array("P5\n1 1\n255\n".utf8) + [UInt8(i)]) }
        let many = try config(input: [1, 1, 1], outputs: 2, data: "{dataset: folder, path: \(folder), validation: 0}")
        let field = try Fingerprint.of(config: many, parameterCount: 1).fields.first { $0.key == "data" }!.value
        XCTAssertTrue(field.hasPrefix("40 files, combined "), field)
    }
}
