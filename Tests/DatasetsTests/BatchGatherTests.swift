// gatherSamples: pixels by index into a preallocated batch, scaled to [0, 1] and optionally
// normalised; labels follow their images; a data file cut short after loading throws.

import Core
import Datasets
import Foundation
import XCTest

final class BatchGatherTests: XCTestCase {
    let set = ImageSet(channels: 1, height: 1, width: 3, pixels: [0, 255, 51, 10, 20, 30, 128, 64, 1],
                       labels: [4, 5, 6], classes: 10)

    func run(_ indices: [Int32], _ normalization: Normalization?, from set: ImageSet? = nil) throws
        -> (x: [Float], labels: [Int32]) {
        let set = set ?? self.set
        var x = [Float](repeating: .nan, count: indices.count * set.imageSize)
        var labels = [Int32](repeating: -1, count: indices.count)
        try indices.withUnsafeBufferPointer { idx in
            try x.withUnsafeMutableBufferPointer { xb in
                try labels.withUnsafeMutableBufferPointer { lb in
                    try gatherSamples(set, indices: idx, into: xb.baseAddress!, labels: lb.baseAddress!,
                                      normalization: normalization)
                }
            }
        }
        return (x, labels)
    }

    func testScalesToUnitInterval() throws {
        let (x, labels) = try run([2, 0], nil)
        XCTAssertEqual(x, [128 / 255, 64 / 255, 1 / 255, 0, 1, 0.2] as [Float])
        XCTAssertEqual(labels, [6, 4])
    }

    func testNormalises() throws {
        let norm = Normalization.mnist
        let (x, labels) = try run([1, 1, 0], norm)
        let expected: [Float] = [10, 20, 30, 10, 20, 30, 0, 255, 51].map { (Float($0) / 255 - norm.mean) / norm.std }
        XCTAssertEqual(x, expected)
        XCTAssertEqual(labels, [5, 5, 4])
        XCTAssertEqual(x[6], -0.1307 / 0.3081, accuracy: 1e-6)
        XCTAssertEqual(x[7], (1 - 0.1307) / 0.3081, accuracy: 1e-6)
    }

    /// A raw image file read in place that shrinks after loading: reading a lost image throws an
    /// InputError naming the file (it used to trap).
    func testFileCutShortAfterLoadingThrows() throws {
        let dir = try scratchDirectory(self)
        try writeSplit(dir, prefix: "t10k", n: 6, gzip: false)
        let set = try MNIST.load(directory: dir, split: .test)
        XCTAssertTrue(set.isFileBacked)
        let images = dir + "/t10k-images-idx3-ubyte"
        XCTAssertEqual(truncate(images, off_t(16 + 2 * set.imageSize)), 0)
        XCTAssertEqual(try run([1, 0], nil, from: set).labels, [1, 0])  // still on disk
        assertInputError(try run([0, 5], nil, from: set), mentions: images, "image 5", "shrank")
        assertInputError(try set.pixels, mentions: images, "shrank")
    }
}
