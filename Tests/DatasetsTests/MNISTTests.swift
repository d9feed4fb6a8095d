// MNIST loading: synthetic splits (raw, gzipped, .gz preferred), count mismatch, label out of
// range, missing files, file fingerprints; then the real data in data/mnist (60000/10000, 28x28).

import Core
import Datasets
import NN
import XCTest

final class MNISTTests: XCTestCase {
    func testLoadRawAndGzip() throws {
        try useScratchCache(self)
        for gzip in [false, true] {
            let dir = try scratchDirectory(self)
            let written = try writeSplit(dir, prefix: "t10k", n: 12, gzip: gzip)
            let set = try MNIST.load(directory: dir, split: .test)
            XCTAssertEqual(try MNIST.load(directory: dir, split: .test).pixels, written.pixels, "loaded again: mapped from the cache")
            XCTAssertEqual([set.count, set.channels, set.height, set.width, set.classes], [12, 1, 4, 3, 10])
            XCTAssertEqual(set.pixels, written.pixels)
            XCTAssertTrue(set.isMapped)
            XCTAssertEqual(set.labels, written.labels.map(Int32.init))
        }
    }

    func testPrefersGzipWhenBothExist() throws {
        try useScratchCache(self)
        let dir = try scratchDirectory(self)
        try writeSplit(dir, prefix: "train", n: 5, gzip: false)
        try writeSplit(dir, prefix: "train", n: 8, gzip: true)
        XCTAssertEqual(try MNIST.load(directory: dir, split: .train).count, 8)
    }

    func testCountMismatchNamesBothFiles() throws {
        try useScratchCache(self)
        let dir = try scratchDirectory(self)
        try writeSplit(dir, prefix: "train", n: 6, gzip: true, labelCount: 5)
        assertInputError(try MNIST.load(directory: dir, split: .train),
                         mentions: "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "6 images", "5 labels")
    }

    func testLabelOutOfRange() throws {
        try useScratchCache(self)
        let dir = try scratchDirectory(self)
        try writeSplit(dir, prefix: "t10k", n: 3, gzip: false, labels: [1, 10, 2])
        assertInputError(try MNIST.load(directory: dir, split: .test), mentions: "t10k-labels-idx1-ubyte", "label 10", "0..<10")
    }

    func testMissingFiles() throws {
        try useScratchCache(self)
        let dir = try scratchDirectory(self)
        assertInputError(try MNIST.load(directory: dir, split: .train), mentions: "train-images-idx3-ubyte", "not found")
    }

    func testTruncatedGzipInLoad() throws {
        try useScratchCache(self)
        let dir = try scratchDirectory(self)
        try writeSplit(dir, prefix: "t10k", n: 40, gzip: true)
        let path = dir + "/t10k-images-idx3-ubyte.gz"
        let bytes = try readFileBytes(path: path)
        try writeFile(path, Array(bytes.prefix(bytes.count - 10)))
        assertInputError(try MNIST.load(directory: dir, split: .test), mentions: "t10k-images-idx3-ubyte.gz", "truncated or corrupt")
    }

    func testFileChecksums() throws {
        let dir = try scratchDirectory(self)
        try writeSplit(dir, prefix: "train", n: 4, gzip: true)
        try writeSplit(dir, prefix: "t10k", n: 2, gzip: false)
        let sums = try MNIST.fileChecksums(directory: dir)
        XCTAssertEqual(Set(sums.keys), ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
        XCTAssertEqual(try MNIST.fileChecksums(directory: dir), sums)
        XCTAssertEqual(fnv1a64(Array("a".utf8)), 0xaf63_dc4c_8601_ec8c)   // published FNV-1a 64 vector
        try writeSplit(dir, prefix: "t10k", n: 3, gzip: false)
        XCTAssertNotEqual(try MNIST.fileChecksums(directory: dir)["t10k-images-idx3-ubyte"], sums["t10k-images-idx3-ubyte"])
    }

    func testRealMNIST() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let dir = root + "/data/mnist"
        let train = try MNIST.load(directory: dir, split: .train)
        let test = try MNIST.load(directory: dir, split: .test)
        XCTAssertEqual([train.count, train.channels, train.height, train.width], [60000, 1, 28, 28])
        XCTAssertEqual([test.count, test.channels, test.height, test.width], [10000, 1, 28, 28])
        XCTAssertEqual(train.labels.prefix(8), [5, 0, 4, 1, 9, 2, 1, 3])
        XCTAssertEqual(test.labels.first, 7)
        XCTAssertEqual(try MNIST.fileChecksums(directory: dir).count, 4)
    }
}
