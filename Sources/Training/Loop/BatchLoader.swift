// Copies one rank's slice of a global batch into preallocated buffers: images (N, C, H, W) as
// normalised floats, labels (N) and the global dataset index of each sample (for dropout masks).
// For 1-output (logistic) models labels become 1 for the positive class and 0 otherwise.
// A loader made with an augmentation (the training loader, nothing else) augments every image it
// loads with the draw of (seed, epoch, dataset index) — never of its rank or place in the batch.

import Core
import NN
import Datasets

public final class BatchLoader {
    public let set: ImageSet
    public let capacity: Int
    public let x: FloatBuffer                       // (capacity, C*H*W)
    public let labels: UnsafeMutablePointer<Int32>  // (capacity)
    public let sampleIDs: UnsafeMutablePointer<Int32>
    private let normalization: Normalization?
    private let positiveClass: Int32?
    /// Training-time augmentation (nil: none, or an augmentation that changes nothing).
    public let augmenter: Augmenter?

    /// `augmentation` and `seed`: the run's data.augment and seed (training batches only).
    public init(set: ImageSet, capacity: Int, normalization: Normalization?, positiveClass: Int?,
                augmentation: Augmentation? = nil, seed: UInt64 = 0) {
        self.set = set
        self.capacity = capacity
        x = FloatBuffer(count: capacity * set.channels * set.height * set.width)
        labels = .allocate(capacity: capacity)
        sampleIDs = .allocate(capacity: capacity)
        labels.initialize(repeating: 0, count: capacity)
        sampleIDs.initialize(repeating: 0, count: capacity)
        self.normalization = normalization
        self.positiveClass = positiveClass.map(Int32.init)
        augmenter = augmentation.flatMap { a in
            a.isIdentity ? nil : Augmenter(a, seed: seed, channels: set.channels, height: set.height, width: set.width)
        }
    }

    deinit { labels.deallocate(); sampleIDs.deallocate() }

    /// Loads the samples whose dataset indices are `indices` (at most `capacity`), augmented as in
    /// `epoch` when the loader augments (a copy from memory or the shared mapping; nothing throws today).
    public func load(_ indices: UnsafeBufferPointer<Int32>, epoch: Int = 0) throws {
        let n = indices.count
        sampleIDs.update(from: indices.baseAddress!, count: n)
        try gatherSamples(set, indices: indices, into: x.pointer, labels: labels, normalization: normalization,
                          augmenter: augmenter, epoch: epoch)
        if let positive = positiveClass {
            for i in 0..<n { labels[i] = labels[i] == positive ? 1 : 0 }
        }
    }

    /// Loads the contiguous dataset range `range`.
    public func load(range: Range<Int>, scratch: UnsafeMutablePointer<Int32>) throws {
        for (i, v) in range.enumerated() { scratch[i] = Int32(v) }
        try load(UnsafeBufferPointer(start: scratch, count: range.count))
    }
}
