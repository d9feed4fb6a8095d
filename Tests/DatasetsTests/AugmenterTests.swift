// The Augmenter and its draws: an all-zero augmentation changes nothing (also through
// gatherSamples, bit for bit); a draw is a pure function of (seed, epoch, dataset index), differs
// across epochs, samples and seeds, stays within its ranges and does not depend on where the sample
// sits in the batch; augmenting happens before normalisation (background stays 0 in [0, 1]).

import Datasets
import XCTest

final class AugmenterTests: XCTestCase {
    private let full = Augmentation(shift: 2, rotate: 10, scale: 0.9...1.1, shear: 5, stroke: -0.5...1.5, cropPad: 2, flip: true)

    /// 4 images 8x6 of random-looking bytes with a bright block, labels 0...3.
    private let set: ImageSet = {
        var pixels = [UInt8](repeating: 0, count: 4 * 48)
        for i in 0..<(4 * 48) { pixels[i] = UInt8((i * 37 + 11) % 97) }
        for i in 0..<4 { for y in 2..<4 { for x in (1 + i)..<(3 + i) { pixels[i * 48 + y * 8 + x] = 255 } } }
        return ImageSet(channels: 1, height: 6, width: 8, pixels: pixels, labels: [0, 1, 2, 3], classes: 10)
    }()

    private func gather(_ indices: [Int32], _ augmenter: Augmenter?, epoch: Int = 1,
                        normalization: Normalization? = .mnist) throws -> [Float] {
        var x = [Float](repeating: .nan, count: indices.count * set.imageSize)
        var labels = [Int32](repeating: -1, count: indices.count)
        try indices.withUnsafeBufferPointer { idx in
            try x.withUnsafeMutableBufferPointer { xb in
                try labels.withUnsafeMutableBufferPointer { lb in
                    try gatherSamples(set, indices: idx, into: xb.baseAddress!, labels: lb.baseAddress!,
                                      normalization: normalization, augmenter: augmenter, epoch: epoch)
                }
            }
        }
        XCTAssertEqual(labels, indices, "labels follow their images")
        return x
    }

    private func augmenter(_ a: Augmentation, seed: UInt64 = 7) -> Augmenter {
        Augmenter(a, seed: seed, channels: 1, height: 6, width: 8)
    }

    func testAllZeroAugmentationIsTheIdentity() throws {
        XCTAssertTrue(Augmentation().isIdentity)
        XCTAssertFalse(full.isIdentity)
        let plain = try gather([3, 0, 2], nil)
        XCTAssertEqual(try gather([3, 0, 2], augmenter(Augmentation())), plain, "bit-identical to no augmenter")
        // zero amplitudes that still go through the warp and stroke code: the same bits
        let zeroRanges = Augmentation(scale: 1...1, stroke: 0...0)
        XCTAssertEqual(try gather([3, 0, 2], augmenter(zeroRanges)), plain)
        XCTAssertNotEqual(try gather([3, 0, 2], augmenter(full)), plain, "the full augmentation changes the images")
    }

    func testDrawsArePureFunctionsOfSeedEpochAndIndex() {
        let a = AugmentDraw(full, seed: 7, epoch: 3, sample: 1234)
        XCTAssertEqual(AugmentDraw(full, seed: 7, epoch: 3, sample: 1234), a)
        XCTAssertNotEqual(AugmentDraw(full, seed: 7, epoch: 4, sample: 1234), a, "another epoch")
        XCTAssertNotEqual(AugmentDraw(full, seed: 7, epoch: 3, sample: 1235), a, "another sample")
        XCTAssertNotEqual(AugmentDraw(full, seed: 8, epoch: 3, sample: 1234), a, "another seed")
        // switching one part off leaves the others' draws alone
        var noShear = full
        noShear.shear = 0
        let b = AugmentDraw(noShear, seed: 7, epoch: 3, sample: 1234)
        XCTAssertEqual(b.shear, 0)
        XCTAssertEqual([b.shiftX, b.shiftY, b.angle, b.scale, b.stroke], [a.shiftX, a.shiftY, a.angle, a.scale, a.stroke])
    }

    /// 4000 draws stay within their ranges and reach near both ends of each; crop offsets take
    /// every value in [-pad, pad]; about half the samples flip.
    func testDrawsCoverTheirRanges() {
        var lo = [Double](repeating: .infinity, count: 6), hi = [Double](repeating: -.infinity, count: 6)
        var offsets = Set<Int>(), flips = 0
        let n = 4000
        for i in 0..<n {
            let d = AugmentDraw(full, seed: 1, epoch: 2, sample: i)
            let v = [d.shiftX, d.shiftY, d.angle, d.scale, d.shear, d.stroke]
            for k in 0..<6 { lo[k] = min(lo[k], v[k]); hi[k] = max(hi[k], v[k]) }
            offsets.insert(d.cropX); offsets.insert(d.cropY)
            if d.flip { flips += 1 }
        }
        let bounds: [(Double, Double)] = [(-2, 2), (-2, 2), (-10, 10), (0.9, 1.1), (-5, 5), (-0.5, 1.5)]
        for k in 0..<6 {
            let (a, b) = bounds[k], slack = (b - a) * 0.01
            XCTAssertGreaterThanOrEqual(lo[k], a, "draw \(k)"); XCTAssertLessThanOrEqual(hi[k], b, "draw \(k)")
            XCTAssertLessThan(lo[k], a + slack, "draw \(k) reaches its low end"); XCTAssertGreaterThan(hi[k], b - slack)
        }
        XCTAssertEqual(offsets, Set(-2...2))
        XCTAssertEqual(Double(flips) / Double(n), 0.5, accuracy: 0.05)
    }

    /// The augmented image of dataset index 2 is the same wherever it sits in the batch, and the
    /// same loaded alone: what makes every world size see the same augmented samples.
    func testAugmentationDoesNotDependOnBatchPosition() throws {
        let aug = augmenter(full), size = set.imageSize
        let batch = try gather([0, 2, 1, 3], aug, epoch: 5)
        let alone = try gather([2], aug, epoch: 5)
        let reordered = try gather([2, 3, 1, 0], aug, epoch: 5)
        XCTAssertEqual(Array(batch[size..<(2 * size)]), alone)
        XCTAssertEqual(Array(reordered[0..<size]), alone)
        XCTAssertNotEqual(try gather([2], aug, epoch: 6), alone, "another epoch, another augmentation")
    }

    /// Augmenting happens in [0, 1] before normalisation: a shift by a whole image width leaves
    /// only background, which normalises to (0 - mean) / std.
    func testBackgroundIsZeroBeforeNormalisation() throws {
        let far = augmenter(Augmentation(cropPad: 8))
        let norm = Normalization.mnist
        for epoch in 1...20 {
            let d = far.draw(sample: 1, epoch: epoch)
            guard abs(d.cropX) >= 8 || abs(d.cropY) >= 6 else { continue }
            let x = try gather([1], far, epoch: epoch, normalization: norm)
            XCTAssertEqual(x, [Float](repeating: (0 - 0.1307) / 0.3081, count: set.imageSize))
            return
        }
        XCTFail("no draw in 20 epochs moved the image out of view")
    }

    /// Every channel gets the same draw: a 2-channel image with equal planes stays with equal planes.
    func testChannelsShareTheDraw() {
        let w = 8, h = 6, plane = (0..<(w * h)).map { Float(($0 * 13) % 17) / 16 }
        var image = plane + plane
        let aug = Augmenter(full, seed: 3, channels: 2, height: h, width: w)
        image.withUnsafeMutableBufferPointer { aug.apply($0.baseAddress!, sample: 9, epoch: 1) }
        XCTAssertEqual(Array(image[0..<(w * h)]), Array(image[(w * h)...]))
        XCTAssertNotEqual(Array(image[0..<(w * h)]), plane)
    }

    /// Three channels (CIFAR-like): random crop with padding and horizontal flip move every plane
    /// by the draw of (seed, epoch, dataset index), then each channel is normalised with its own
    /// mean and std — the same numbers as doing it by hand, plane by plane.
    func testThreeChannelCropAndFlipThenPerChannelNormalisation() throws {
        let w = 5, h = 4, plane = w * h
        let pixels = (0 ..< 2 * 3 * plane).map { UInt8(($0 * 29 + 7) % 256) }
        let rgb = ImageSet(channels: 3, height: h, width: w, pixels: pixels, labels: [3, 9], classes: 10)
        let norm = Normalization(mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26])
        let aug = Augmenter(Augmentation(cropPad: 2, flip: true), seed: 11, channels: 3, height: h, width: w)
        guard let epoch = (1...50).first(where: { e in
            let d = aug.draw(sample: 1, epoch: e)
            return d.flip && d.cropX != 0 && d.cropY != 0
        }) else { return XCTFail("no epoch in 50 drew a flip and a crop on both axes") }
        let d = aug.draw(sample: 1, epoch: epoch)
        XCTAssertEqual(d, AugmentDraw(Augmentation(cropPad: 2, flip: true), seed: 11, epoch: epoch, sample: 1))

        var x = [Float](repeating: .nan, count: 3 * plane)
        var labels: [Int32] = [-1]
        try [Int32(1)].withUnsafeBufferPointer { idx in
            try gatherSamples(rgb, indices: idx, into: &x, labels: &labels, normalization: norm, augmenter: aug, epoch: epoch)
        }
        var expected: [Float] = []
        for c in 0 ..< 3 {
            let source = (0 ..< plane).map { Float(pixels[(3 + c) * plane + $0]) / 255 }
            var moved = [Float](repeating: .nan, count: plane)
            for y in 0 ..< h {
                for x in 0 ..< w {
                    let sx = x + d.cropX, sy = y + d.cropY
                    moved[y * w + (w - 1 - x)] = sx >= 0 && sx < w && sy >= 0 && sy < h ? source[sy * w + sx] : 0
                }
            }
            expected += moved.map { ($0 - norm.mean[c]) / norm.std[c] }
        }
        XCTAssertEqual(x, expected)
        XCTAssertEqual(labels, [9])
    }
}
