// The IDX datasets of the catalog on small files written here: Fashion-MNIST and KMNIST (MNIST's
// names, raw and gzipped, torchvision's class names), EMNIST (transposed back, letters 1...26 ->
// 0...25, labels checked per split) and `idx` (class count from both splits' labels, 4-D images).

import Core
import Datasets
import XCTest

final class IDXCatalogTests: XCTestCase {
    private let shape = (c: 1, h: 28, w: 28)          // ignored by the IDX datasets

    /// Writes both MNIST-named splits of (n, h, w) images with labels i % classes; returns the train pixels.
    @discardableResult
    private func writeMNISTNamed(_ dir: String, n: Int, h: Int, w: Int, classes: Int = 10, gzip: Bool) throws -> [UInt8] {
        var trainPixels: [UInt8] = []
        for (split, count) in [(DataSplit.train, n), (.test, n / 2)] {
            let labels = (0 ..< count).map { UInt8($0 % classes) }
            let pixels = (0 ..< count * h * w).map { CatalogFixtures.pattern(image: $0 / (h * w), label: Int(labels[$0 / (h * w)]), k: $0 % (h * w)) }
            try CatalogFixtures.writeIDXPair(dir, images: split.imagesFile, labels: split.labelsFile, dims: [count, h, w],
                                             pixels: pixels, labelBytes: labels, gzip: gzip)
            if split == .train { trainPixels = pixels }
        }
        return trainPixels
    }

    func testFashionMNISTAndKMNISTReadMNISTNamesRawAndGzipped() throws {
        for (name, gzip, firstClass) in [(DatasetName.fashionMNIST, false, "T-shirt/top"), (.kmnist, true, "o"), (.mnist, true, "0")] {
            let dir = try scratchDirectory(self)
            let pixels = try writeMNISTNamed(dir, n: 300, h: 6, w: 5, gzip: gzip)
            let train = try DatasetLoader.load(name, path: dir, split: .train, input: shape)
            XCTAssertEqual(train.images.count, 300, "\(name)")
            XCTAssertEqual([train.images.channels, train.images.height, train.images.width], [1, 6, 5], "\(name)")
            XCTAssertTrue(train.images.isMapped, "\(name): IDX images are mapped from the pixel cache")
            XCTAssertEqual(train.images.pixels, pixels, "\(name)")
            XCTAssertEqual(train.images.labels, (0 ..< 300).map { Int32($0 % 10) }, "\(name)")
            XCTAssertEqual(train.classNames.count, 10)
            XCTAssertEqual(train.classNames.first, firstClass)
            XCTAssertEqual(try DatasetLoader.load(name, path: dir, split: .test, input: shape).images.count, 150)
            let files = try DatasetLoader.sourceFiles(name, path: dir)
            XCTAssertEqual(files.map { String($0.split(separator: "/").last!) },
                           ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
                            .map { $0 + (gzip ? ".gz" : "") })
        }
    }

    func testFashionMNISTLabelOutOfRangeNamesTheFile() throws {
        let dir = try scratchDirectory(self)
        try writeMNISTNamed(dir, n: 20, h: 4, w: 4, classes: 11, gzip: false)
        assertInputError(try DatasetLoader.load(.fashionMNIST, path: dir, split: .train, input: shape),
                         mentions: "train-labels-idx1-ubyte", "label 10", "0..<10")
    }

    /// EMNIST files of one split: (n, rows, columns) stored images, labels given.
    private func writeEMNIST(_ dir: String, split: EMNISTSplit, part: DataSplit, rows: Int, columns: Int,
                             labels: [UInt8], gzip: Bool) throws -> [UInt8] {
        let size = rows * columns
        let pixels = (0 ..< labels.count * size).map { CatalogFixtures.pattern(image: $0 / size, label: Int(labels[$0 / size]), k: $0 % size) }
        try CatalogFixtures.writeIDXPair(dir, images: "emnist-\(split.rawValue)-\(part.rawValue)-images-idx3-ubyte",
                                         labels: "emnist-\(split.rawValue)-\(part.rawValue)-labels-idx1-ubyte",
                                         dims: [labels.count, rows, columns], pixels: pixels, labelBytes: labels, gzip: gzip)
        return pixels
    }

    func testEMNISTLettersAreTransposedAndShiftedToZero() throws {
        let dir = try scratchDirectory(self)
        let rows = 5, columns = 7                           // asymmetric: a missing transpose cannot pass
        let labels = (0 ..< 260).map { UInt8($0 % 26 + 1) }
        let stored = try writeEMNIST(dir, split: .letters, part: .train, rows: rows, columns: columns, labels: labels, gzip: true)
        _ = try writeEMNIST(dir, split: .letters, part: .test, rows: rows, columns: columns, labels: Array(labels.prefix(52)), gzip: true)
        let train = try DatasetLoader.load(.emnist(.letters), path: dir, split: .train, input: shape)
        let set = train.images
        XCTAssertEqual([set.count, set.channels, set.height, set.width], [260, 1, columns, rows])
        XCTAssertEqual(set.labels, labels.map { Int32($0) - 1 })
        XCTAssertEqual(set.classes, 26)
        XCTAssertEqual(train.classNames.first, "a")
        XCTAssertEqual(train.classNames.last, "z")
        let pixels = try set.pixels
        for i in [0, 1, 137, 259] {
            for y in 0 ..< columns {
                for x in 0 ..< rows {
                    // loaded (y, x) is stored (row x, column y)
                    XCTAssertEqual(pixels[i * rows * columns + y * rows + x], stored[i * rows * columns + x * columns + y], "image \(i) (\(x), \(y))")
                }
            }
        }
        XCTAssertEqual(try DatasetLoader.sourceFiles(.emnist(.letters), path: dir).count, 4)
        XCTAssertEqual(try DatasetLoader.load(.emnist(.letters), path: dir, split: .test, input: shape).images.count, 52)
    }

    func testEMNISTLabelsAreCheckedPerSplit() throws {
        let dir = try scratchDirectory(self)
        _ = try writeEMNIST(dir, split: .letters, part: .train, rows: 4, columns: 4, labels: [1, 2, 0, 3], gzip: false)
        assertInputError(try DatasetLoader.load(.emnist(.letters), path: dir, split: .train, input: shape),
                         mentions: "emnist-letters-train-labels-idx1-ubyte", "label 0", "1...26")
        _ = try writeEMNIST(dir, split: .balanced, part: .train, rows: 4, columns: 4, labels: [0, 46, 47], gzip: false)
        assertInputError(try DatasetLoader.load(.emnist(.balanced), path: dir, split: .train, input: shape),
                         mentions: "emnist-balanced-train-labels-idx1-ubyte", "label 47", "0...46")
        _ = try writeEMNIST(dir, split: .digits, part: .train, rows: 4, columns: 4, labels: (0 ..< 10).map(UInt8.init), gzip: false)
        let digits = try DatasetLoader.load(.emnist(.digits), path: dir, split: .train, input: shape)
        XCTAssertEqual(digits.images.classes, 10)
        assertInputError(try DatasetLoader.load(.emnist(.byclass), path: dir, split: .train, input: shape),
                         mentions: "emnist-byclass-train-images-idx3-ubyte", "not found")
    }

    func testIDXTakesTheClassCountFromBothSplitsLabels() throws {
        let dir = try scratchDirectory(self)
        let trainLabels = (0 ..< 200).map { UInt8($0 % 7) }             // 0...6
        let testLabels: [UInt8] = [0, 8, 3]                              // 8: the largest overall
        for (split, labels) in [(DataSplit.train, trainLabels), (.test, testLabels)] {
            let pixels = (0 ..< labels.count * 12).map { UInt8($0 % 256) }
            try CatalogFixtures.writeIDXPair(dir, images: split.imagesFile, labels: split.labelsFile, dims: [labels.count, 3, 4],
                                             pixels: pixels, labelBytes: labels, gzip: split == .test)
        }
        for split in DataSplit.allCases {
            let loaded = try DatasetLoader.load(.idx, path: dir, split: split, input: shape)
            XCTAssertEqual(loaded.images.classes, 9, "\(split)")
            XCTAssertEqual(loaded.classNames, (0 ..< 9).map(String.init))
            XCTAssertEqual([loaded.images.channels, loaded.images.height, loaded.images.width], [1, 3, 4])
        }
    }

    func testIDXReadsFourDimensionalImagesAsChannels() throws {
        let dir = try scratchDirectory(self)
        var written: [DataSplit: [UInt8]] = [:]
        for (split, count) in [(DataSplit.train, 40), (.test, 10)] {
            let labels = (0 ..< count).map { UInt8($0 % 4) }
            let pixels = (0 ..< count * 3 * 2 * 5).map { CatalogFixtures.pattern(image: $0 / 30, label: Int(labels[$0 / 30]), k: $0 % 30) }
            try CatalogFixtures.writeIDXPair(dir, images: split.imagesFile, labels: split.labelsFile, dims: [count, 3, 2, 5],
                                             pixels: pixels, labelBytes: labels, gzip: split == .train)
            written[split] = pixels
        }
        for split in DataSplit.allCases {
            let set = try DatasetLoader.load(.idx, path: dir, split: split, input: shape).images
            XCTAssertEqual([set.count, set.channels, set.height, set.width, set.classes], [split == .train ? 40 : 10, 3, 2, 5, 4])
            XCTAssertEqual(try set.pixels, written[split])
        }
    }

    func testIDXRefusesAFiveDimensionalImageFile() throws {
        let dir = try scratchDirectory(self)
        for split in DataSplit.allCases {
            try CatalogFixtures.writeIDXPair(dir, images: split.imagesFile, labels: split.labelsFile, dims: [2, 1, 1, 2, 2],
                                             pixels: [UInt8](repeating: 1, count: 8), labelBytes: [0, 1], gzip: false)
        }
        assertInputError(try DatasetLoader.load(.idx, path: dir, split: .train, input: shape),
                         mentions: "train-images-idx3-ubyte", "bad IDX magic")
    }
}
