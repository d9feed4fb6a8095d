// Gathers the samples named by a list of indices into preallocated batch buffers: u8 pixels ->
// Float via a 256-entry table (p / 255, then (v - mean) / std as torchvision's ToTensor + Normalize),
// labels -> Int32. With an Augmenter each image is augmented in the [0, 1] pixel domain between
// the two (ToTensor, augment, Normalize); without one the result is exactly the table's.
// x is (n, C, H, W) with n = indices.count; nothing is heap-allocated.

import Core

/// Per-dataset normalisation applied after scaling pixels to [0, 1].
public struct Normalization: Equatable {
    public var mean: Float
    public var std: Float
    public init(mean: Float, std: Float) {
        self.mean = mean
        self.std = std
    }
    /// The usual MNIST statistics.
    public static let mnist = Normalization(mean: 0.1307, std: 0.3081)
}

/// Writes images `indices` of `set` to `x` (indices.count x imageSize floats) and their labels to `labels`.
/// File-backed sets read each image with one pread into a small stack buffer, so no pixel
/// buffer is held between batches; a failed read throws (DataReadError, or InputError when the
/// file shrank since it was checked). `augmenter` (if any) augments each image as its dataset
/// index in `epoch`.
public func gatherSamples(_ set: ImageSet, indices: UnsafeBufferPointer<Int32>, into x: UnsafeMutablePointer<Float>,
                          labels: UnsafeMutablePointer<Int32>, normalization: Normalization?,
                          augmenter: Augmenter? = nil, epoch: Int = 0) throws {
    try withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { table in
        // augmenting: the table stops at [0, 1]; the normalisation follows the augmentation
        let tableNormalization = augmenter == nil ? normalization : nil
        for p in 0 ..< 256 {
            let v = Float(p) / 255
            table[p] = tableNormalization.map { (v - $0.mean) / $0.std } ?? v
        }
        let size = set.imageSize
        if let a = augmenter {
            precondition(a.channels * a.height * a.width == size && a.width == set.width, "augmenter shape differs from the images'")
        }
        let t = table.baseAddress!
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(size, 1)) { image in
            let bytes = image.baseAddress!
            try set.labels.withUnsafeBufferPointer { setLabels in
                for (row, index) in indices.enumerated() {
                    let i = Int(index)
                    precondition(i >= 0 && i < set.count, "sample index \(i) outside 0..<\(set.count)")
                    let dst = x + row * size
                    try set.copyImage(i, to: bytes)
                    for k in 0 ..< size { dst[k] = t[Int(bytes[k])] }
                    if let augmenter {
                        augmenter.apply(dst, sample: i, epoch: epoch)
                        if let n = normalization { for k in 0 ..< size { dst[k] = (dst[k] - n.mean) / n.std } }
                    }
                    labels[row] = setLabels[i]
                }
            }
        }
    }
}
