// gatherSamples: pixels by index into a preallocated batch, scaled to [0, 1] and optionally
// normalised (one mean/std for all channels, or one per channel); labels follow their images; a
// loaded MNIST split is a mapping of its cache copy, so later changes to the source are not seen.

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
        let expected: [Float] = [10, 20, 30, 10, 20, 30, 0, 255, 51].map { (Float($0) / 255 - 0.1307) / 0.3081 }
        XCTAssertEqual(x, expected)
        XCTAssertEqual(labels, [5, 5, 4])
        XCTAssertEqual(x[6], -0.1307 / 0.3081, accuracy: 1e-6)
        XCTAssertEqual(x[7], (1 - 0.1307) / 0.3081, accuracy: 1e-6)
    }

    /// Three channels of 1x2 pixels: each channel is normalised with its own mean and std.
    func testNormalisesPerChannel() throws {
        let rgb = ImageSet(channels: 3, height: 1, width: 2, pixels: [0, 255, 51, 102, 10, 20, 1, 2, 3, 4, 5, 6],
                           labels: [7, 8], classes: 10)
        let norm = Normalization(mean: [0.5, 0.25, 0], std: [0.5, 0.125, 2])
        let (x, labels) = try run([1, 0], norm, from: rgb)
        let mean: [Float] = [0.5, 0.25, 0], std: [Float] = [0.5, 0.125, 2]
        let expected = [1, 2, 3, 4, 5, 6, 0, 255, 51, 102, 10, 20].enumerated().map { k, p -> Float in
            let c = k % 6 / 2
            return (Float(p) / 255 - mean[c]) / std[c]
        }
        XCTAssertEqual(x, expected)
        XCTAssertEqual(labels, [8, 7])
        XCTAssertEqual(x[6], -1, "channel 0: (0 - 0.5) / 0.5")
        XCTAssertEqual(x[8], -0.4, accuracy: 1e-6, "channel 1: (51 / 255 - 0.25) / 0.125")
        let single = try run([1, 0], Normalization(mean: 0.5, std: 0.5), from: rgb).x
        XCTAssertEqual(single, [1, 2, 3, 4, 5, 6, 0, 255, 51, 102, 10, 20].map { (Float($0) / 255 - 0.5) / 0.5 },
                       "one value: every channel")
    }

    /// A loaded split is mapped from its cache copy: cutting the source short afterwards changes
    /// nothing for the loaded set (no SIGBUS, no error, the same pixels); loading again sees the
    /// damaged file and refuses it.
    func testLoadedSplitDoesNotSeeLaterChangesToTheSource() throws {
        try useScratchCache(self)
        let dir = try scratchDirectory(self)
        let written = try writeSplit(dir, prefix: "t10k", n: 6, gzip: false)
        let set = try MNIST.load(directory: dir, split: .test)
        XCTAssertTrue(set.isMapped)
        let images = dir + "/t10k-images-idx3-ubyte"
        XCTAssertEqual(truncate(images, off_t(16 + 2 * set.imageSize)), 0)
        let (x, labels) = try run([5, 0], nil, from: set)
        XCTAssertEqual(labels, [5, 0])
        XCTAssertEqual(x, (Array(written.pixels[5 * 12 ..< 6 * 12]) + Array(written.pixels[0 ..< 12])).map { Float($0) / 255 })
        XCTAssertEqual(set.pixels, written.pixels)
        assertInputError(try MNIST.load(directory: dir, split: .test), mentions: images, "truncated")
    }

    /// The gather gives exactly the scalar Float(p) / 255 and (v - mean) / std for every byte value
    /// (what torchvision's ToTensor + Normalize compute), in any index order.
    func testGatherIsBitIdenticalToTheScalarFormula() throws {
        let count = 300, plane = 37
        let pixels: [UInt8] = (0 ..< count * plane).map { (k: Int) -> UInt8 in UInt8((k * 7 + k / 256) % 256) }
        let set = ImageSet(channels: 1, height: 1, width: plane, pixels: pixels, labels: [Int32](repeating: 0, count: count), classes: 1)
        var indices = (0 ..< Int32(count)).map { $0 }
        indices.reverse()
        let cases: [Normalization?] = [nil, Normalization(mean: 0.1307, std: 0.3081), Normalization(mean: -0.7, std: 3.3)]
        for normalization in cases {
            var x = [Float](repeating: .nan, count: count * plane), labels = [Int32](repeating: 0, count: count)
            try indices.withUnsafeBufferPointer { ix in
                try gatherSamples(set, indices: ix, into: &x, labels: &labels, normalization: normalization)
            }
            for (row, i) in indices.enumerated() {
                for k in 0 ..< plane {
                    let v = Float(pixels[Int(i) * plane + k]) / 255
                    let want = normalization.map { $0.apply(v, channel: 0) } ?? v
                    XCTAssertEqual(x[row * plane + k].bitPattern, want.bitPattern, "image \(i) pixel \(k) \(String(describing: normalization))")
                }
            }
        }
    }
}
