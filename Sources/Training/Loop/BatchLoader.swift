// Copies one rank's slice of a global batch into preallocated buffers: images (N, C, H, W) as
// normalised floats, labels (N) and the global dataset index of each sample (for dropout masks).
// For 1-output (logistic) models labels become 1 for the positive class and 0 otherwise.

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

    public init(set: ImageSet, capacity: Int, normalization: Normalization?, positiveClass: Int?) {
        self.set = set
        self.capacity = capacity
        x = FloatBuffer(count: capacity * set.channels * set.height * set.width)
        labels = .allocate(capacity: capacity)
        sampleIDs = .allocate(capacity: capacity)
        labels.initialize(repeating: 0, count: capacity)
        sampleIDs.initialize(repeating: 0, count: capacity)
        self.normalization = normalization
        self.positiveClass = positiveClass.map(Int32.init)
    }

    deinit { labels.deallocate(); sampleIDs.deallocate() }

    /// Loads the samples whose dataset indices are `indices` (at most `capacity`); a failed read
    /// of a file-backed set throws.
    public func load(_ indices: UnsafeBufferPointer<Int32>) throws {
        let n = indices.count
        sampleIDs.update(from: indices.baseAddress!, count: n)
        try gatherSamples(set, indices: indices, into: x.pointer, labels: labels, normalization: normalization)
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
