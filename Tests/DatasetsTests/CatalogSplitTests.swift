// The validation split, the epoch permutation and batch gathering work on every kind of ImageSet
// the catalog makes: in memory with 3 channels (CIFAR), in memory after a transpose (EMNIST) and
// file-backed with channels (4-D idx). The held-out tail and gathered batches are checked pixel
// for pixel against the full set.

import Core
import Datasets
import XCTest

final class CatalogSplitTests: XCTestCase {
    /// Splits `set`, then gathers a shuffled batch from the training part and checks every value.
    private func checkSplitAndGather(_ set: ImageSet, validation: Int, _ what: String) throws {
        let all = try set.pixels, size = set.imageSize
        let (train, held) = try splitValidation(set, validation: validation)
        XCTAssertEqual(train.count + held.count, set.count, what)
        XCTAssertEqual(try held.pixels, Array(all[(set.count - validation) * size ..< set.count * size]), "\(what): the tail is held out")
        XCTAssertEqual(held.labels, Array(set.labels.suffix(validation)), what)
        let perm = epochPermutation(count: train.count, seed: 3, epoch: 1)
        let batch = Array(perm.prefix(8))
        var x = [Float](repeating: 0, count: batch.count * size), labels = [Int32](repeating: -1, count: batch.count)
        try batch.withUnsafeBufferPointer { indices in
            try gatherSamples(train, indices: indices, into: &x, labels: &labels, normalization: nil)
        }
        for (row, index) in batch.enumerated() {
            let i = Int(index)
            XCTAssertEqual(labels[row], set.labels[i], what)
            XCTAssertEqual(Array(x[row * size ..< (row + 1) * size]), all[i * size ..< (i + 1) * size].map { Float($0) / 255 }, "\(what): image \(i)")
        }
    }

    func testCIFAREMNISTAndFourDimensionalIDXSplitAndGather() throws {
        let dir = try scratchDirectory(self)
        let records = (0 ..< 40).flatMap { CatalogFixtures.cifarRecord(image: $0, labels: [UInt8($0 % 10)]) }
        for batch in 1 ... 5 { try CatalogFixtures.put("\(dir)/data_batch_\(batch).bin", records) }
        let cifar = try DatasetLoader.load(.cifar10, path: dir, split: .train, input: (3, 32, 32)).images
        XCTAssertTrue(cifar.isMapped)
        try checkSplitAndGather(cifar, validation: 30, "cifar10")

        let labels = (0 ..< 60).map { UInt8($0 % 10) }
        try CatalogFixtures.writeIDXPair(dir, images: "emnist-digits-train-images-idx3-ubyte", labels: "emnist-digits-train-labels-idx1-ubyte",
                                         dims: [60, 3, 5], pixels: (0 ..< 900).map { UInt8($0 % 251) }, labelBytes: labels, gzip: true)
        try checkSplitAndGather(try DatasetLoader.load(.emnist(.digits), path: dir, split: .train, input: (1, 5, 3)).images,
                                validation: 12, "emnist")

        for split in DataSplit.allCases {
            try CatalogFixtures.writeIDXPair(dir, images: split.imagesFile, labels: split.labelsFile, dims: [60, 3, 4, 2],
                                             pixels: (0 ..< 60 * 24).map { UInt8($0 % 253) }, labelBytes: labels, gzip: false)
        }
        let idx = try DatasetLoader.load(.idx, path: dir, split: .train, input: (3, 4, 2)).images
        XCTAssertTrue(idx.isMapped)
        try checkSplitAndGather(idx, validation: 10, "idx 4-D")
    }
}
