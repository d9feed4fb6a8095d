// CIFAR-10 and CIFAR-100 (binary version) on small batch files written here: records in file
// order with their R, G, B planes as stored, the archive subfolder found, fine and coarse labels,
// class names from the names files, else CIFAR-10's standard ones or CIFAR-100 numbered, and every
// bad input naming its file.

import Core
import Datasets
import XCTest

final class CIFARTests: XCTestCase {
    private let shape = (c: 3, h: 32, w: 32)

    /// Writes CIFAR-10 batches (5 x `perBatch` training records, `test` test records) to `dir`;
    /// record i of the whole training set has label i % 10. Returns the training records.
    @discardableResult
    private func writeCIFAR10(_ dir: String, perBatch: Int = 60, test: Int = 50) throws -> [[UInt8]] {
        var train: [[UInt8]] = []
        for batch in 1 ... 5 {
            let records = (0 ..< perBatch).map { r -> [UInt8] in
                let i = (batch - 1) * perBatch + r
                return CatalogFixtures.cifarRecord(image: i, labels: [UInt8(i % 10)])
            }
            train += records
            try CatalogFixtures.put("\(dir)/data_batch_\(batch).bin", records.flatMap { $0 })
        }
        try CatalogFixtures.put("\(dir)/test_batch.bin",
                                (0 ..< test).flatMap { CatalogFixtures.cifarRecord(image: $0, labels: [UInt8(9 - $0 % 10)]) })
        return train
    }

    func testCIFAR10ReadsEveryBatchInOrderFromTheArchiveSubfolder() throws {
        let root = try scratchDirectory(self)
        let dir = root + "/cifar-10-batches-bin"
        let records = try writeCIFAR10(dir)
        let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        try CatalogFixtures.put(dir + "/batches.meta.txt", Array((names.joined(separator: "\n") + "\n\n").utf8))
        let train = try DatasetLoader.load(.cifar10, path: root, split: .train, input: shape)
        let set = train.images
        XCTAssertEqual([set.count, set.channels, set.height, set.width, set.classes], [300, 3, 32, 32, 10])
        XCTAssertEqual(set.labels, (0 ..< 300).map { Int32($0 % 10) })
        XCTAssertEqual(try set.pixels, records.flatMap { $0.dropFirst() })      // record minus its label: (3, 32, 32)
        XCTAssertEqual(train.classNames, names)
        let test = try DatasetLoader.load(.cifar10, path: dir, split: .test, input: shape)   // the subfolder itself works too
        XCTAssertEqual(test.images.labels, (0 ..< 50).map { Int32(9 - $0 % 10) })
        XCTAssertEqual(try DatasetLoader.sourceFiles(.cifar10, path: root).map { String($0.split(separator: "/").last!) },
                       (1 ... 5).map { "data_batch_\($0).bin" } + ["test_batch.bin", "batches.meta.txt"])
    }

    func testCIFAR10WithoutNamesFileHasTheStandardNames() throws {
        let dir = try scratchDirectory(self)
        try writeCIFAR10(dir, perBatch: 2, test: 3)
        XCTAssertEqual(try DatasetLoader.load(.cifar10, path: dir, split: .test, input: shape).classNames,
                       ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"])
        XCTAssertEqual(try DatasetLoader.sourceFiles(.cifar10, path: dir).count, 6)
    }

    func testCIFAR100FineAndCoarseLabels() throws {
        let root = try scratchDirectory(self)
        let dir = root + "/cifar-100-binary"
        // record i: fine i % 100, coarse fine / 5
        func records(_ n: Int) -> [UInt8] {
            (0 ..< n).flatMap { i in CatalogFixtures.cifarRecord(image: i, labels: [UInt8(i % 100 / 5), UInt8(i % 100)]) }
        }
        try CatalogFixtures.put(dir + "/train.bin", records(250))
        try CatalogFixtures.put(dir + "/test.bin", records(40))
        try CatalogFixtures.put(dir + "/coarse_label_names.txt", Array((0 ..< 20).map { "super\($0)" }.joined(separator: "\n").utf8))
        let fine = try DatasetLoader.load(.cifar100(.fine), path: root, split: .train, input: shape)
        XCTAssertEqual(fine.images.classes, 100)
        XCTAssertEqual(fine.images.labels, (0 ..< 250).map { Int32($0 % 100) })
        XCTAssertEqual(fine.classNames, (0 ..< 100).map(String.init))
        let coarse = try DatasetLoader.load(.cifar100(.coarse), path: root, split: .train, input: shape)
        XCTAssertEqual(coarse.images.classes, 20)
        XCTAssertEqual(coarse.images.labels, (0 ..< 250).map { Int32($0 % 100 / 5) })
        XCTAssertEqual(coarse.classNames.last, "super19")
        XCTAssertEqual(try coarse.images.pixels, try fine.images.pixels)
        let first = try fine.images.pixels.prefix(3072)
        XCTAssertEqual(Array(first), (0 ..< 3072).map { CatalogFixtures.pattern(image: 0, label: 0, k: $0) })
        XCTAssertEqual(try DatasetLoader.load(.cifar100(.coarse), path: root, split: .test, input: shape).images.count, 40)
    }

    func testBadCIFARFilesNameTheFile() throws {
        let dir = try scratchDirectory(self)
        try writeCIFAR10(dir, perBatch: 3, test: 2)
        try CatalogFixtures.put(dir + "/data_batch_3.bin", [UInt8](repeating: 0, count: 3073 * 2 + 5))
        assertInputError(try DatasetLoader.load(.cifar10, path: dir, split: .train, input: shape),
                         mentions: "data_batch_3.bin", "6151 bytes", "3073")
        try CatalogFixtures.put(dir + "/data_batch_3.bin", [])
        assertInputError(try DatasetLoader.load(.cifar10, path: dir, split: .train, input: shape), mentions: "data_batch_3.bin", "0 bytes")
        try CatalogFixtures.put(dir + "/test_batch.bin", CatalogFixtures.cifarRecord(image: 0, labels: [3]) + CatalogFixtures.cifarRecord(image: 1, labels: [10]))
        assertInputError(try DatasetLoader.load(.cifar10, path: dir, split: .test, input: shape),
                         mentions: "test_batch.bin", "record 1", "label 10", "0..<10")
        try FileManager.default.removeItem(atPath: dir + "/data_batch_5.bin")
        assertInputError(try DatasetLoader.load(.cifar10, path: dir, split: .train, input: shape), mentions: "data_batch_5.bin")
        try CatalogFixtures.put(dir + "/test_batch.bin", CatalogFixtures.cifarRecord(image: 0, labels: [3]))
        try CatalogFixtures.put(dir + "/batches.meta.txt", Array("cat\ndog\n".utf8))
        assertInputError(try DatasetLoader.load(.cifar10, path: dir, split: .test, input: shape),
                         mentions: "batches.meta.txt", "2 class names", "expected 10")

        let hundred = try scratchDirectory(self)
        assertInputError(try DatasetLoader.load(.cifar100(.fine), path: hundred, split: .train, input: shape),
                         mentions: hundred, "train.bin", "cifar-100-binary")
        try CatalogFixtures.put(hundred + "/train.bin", [UInt8](repeating: 0, count: 3073))
        assertInputError(try DatasetLoader.load(.cifar100(.fine), path: hundred, split: .train, input: shape),
                         mentions: "train.bin", "3074")
        try CatalogFixtures.put(hundred + "/train.bin", CatalogFixtures.cifarRecord(image: 0, labels: [20, 99]))
        assertInputError(try DatasetLoader.load(.cifar100(.coarse), path: hundred, split: .train, input: shape),
                         mentions: "train.bin", "label 20", "0..<20", "coarse")
        XCTAssertEqual(try DatasetLoader.load(.cifar100(.fine), path: hundred, split: .train, input: shape).images.labels, [99])
        try CatalogFixtures.put(hundred + "/train.bin", CatalogFixtures.cifarRecord(image: 0, labels: [3, 100]))
        assertInputError(try DatasetLoader.load(.cifar100(.fine), path: hundred, split: .train, input: shape),
                         mentions: "train.bin", "label 100", "0..<100", "fine")
    }
}
