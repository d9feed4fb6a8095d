// Gathers the samples named by a list of indices into preallocated batch buffers: u8 pixels ->
// Float through one 256-entry table per channel (p / 255, then (v - mean[c]) / std[c] as
// torchvision's ToTensor + Normalize), labels -> Int32. Pixels are read straight from the set's
// memory or mapping: no system call and no copy per image. With an Augmenter each image is
// augmented in the [0, 1] pixel domain between the two (ToTensor, augment, Normalize); without one
// the result is exactly the table's. x is (n, C, H, W) with n = indices.count; nothing is
// heap-allocated (the tables are C x 256 floats of temporary stack space).

import Core

/// Writes images `indices` of `set` to `x` (indices.count x imageSize floats) and their labels to
/// `labels`. `augmenter` (if any) augments each image as its dataset index in `epoch`. Throws
/// nothing today; it stays `throws` for its callers' sake (BatchLoader.load).
public func gatherSamples(_ set: ImageSet, indices: UnsafeBufferPointer<Int32>, into x: UnsafeMutablePointer<Float>,
                          labels: UnsafeMutablePointer<Int32>, normalization: Normalization?,
                          augmenter: Augmenter? = nil, epoch: Int = 0) throws {
    let channels = set.channels, plane = set.height * set.width, size = set.imageSize
    if let normalization { precondition(normalization.fits(channels: channels), "normalisation does not fit \(channels) channels") }
    if let a = augmenter {
        precondition(a.channels * a.height * a.width == size && a.width == set.width, "augmenter shape differs from the images'")
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 256 * channels) { tables in
        // augmenting: the tables stop at [0, 1]; the normalisation follows the augmentation
        let tableNormalization = augmenter == nil ? normalization : nil
        for c in 0 ..< channels {
            for p in 0 ..< 256 {
                let v = Float(p) / 255
                tables[c * 256 + p] = tableNormalization?.apply(v, channel: c) ?? v
            }
        }
        let t = tables.baseAddress!
        set.withPixels { pixels in
            set.labels.withUnsafeBufferPointer { setLabels in
                for (row, index) in indices.enumerated() {
                    let i = Int(index)
                    precondition(i >= 0 && i < set.count, "sample index \(i) outside 0..<\(set.count)")
                    let src = pixels.baseAddress! + i * size, dst = x + row * size
                    for c in 0 ..< channels {
                        let table = t + c * 256, from = src + c * plane, to = dst + c * plane
                        for k in 0 ..< plane { to[k] = table[Int(from[k])] }
                    }
                    if let augmenter {
                        augmenter.apply(dst, sample: i, epoch: epoch)
                        if let n = normalization {
                            for c in 0 ..< channels {
                                let m = n.mean(channel: c), s = n.std(channel: c), to = dst + c * plane
                                for k in 0 ..< plane { to[k] = (to[k] - m) / s }
                            }
                        }
                    }
                    labels[row] = setLabels[i]
                }
            }
        }
    }
}
