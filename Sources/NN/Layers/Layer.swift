// The layer contract. A layer knows its input/output shapes (fixed when the network is built),
// owns views into the network's flat parameter and gradient buffers, and runs forward and
// backward over a batch of N samples in NCHW layout.
//
// Invariants: forward caches whatever backward needs; backward writes dx (overwrites) and
// ACCUMULATES (+=) parameter gradients.
// Allocation: `reserve(batch:)` allocates, growing the per-batch workspaces when n exceeds every
// earlier n (Network calls it before each pass). forward never allocates. backward allocates once:
// the first backward of an im2col + GEMM convolution that is asked for dx makes its dcols
// workspace (at the reserved batch; a first layer is never asked). From then on, passes at the
// reserved batch size or smaller allocate nothing (Tests/NNTests/AllocationTests.swift).

import Core

/// What a pass needs beyond the tensors: training or evaluation, and the identity of each sample
/// so that dropout masks depend on (seed, epoch, sample index) and not on which rank runs it.
public struct PassContext {
    public var training: Bool
    public var seed: UInt64
    public var epoch: Int
    /// Global dataset index of each sample of the batch (N entries), or nil: use row numbers.
    public var sampleIDs: UnsafePointer<Int32>?
    public init(training: Bool, seed: UInt64 = 0, epoch: Int = 0, sampleIDs: UnsafePointer<Int32>? = nil) {
        self.training = training; self.seed = seed; self.epoch = epoch; self.sampleIDs = sampleIDs
    }
    public static let inference = PassContext(training: false)
}

/// A named parameter tensor inside the flat buffer (PyTorch name and layout).
public struct ParameterTensor: Equatable, Sendable {
    public var name: String          // "conv1.weight"
    public var shape: [Int]          // conv [out, in, kh, kw], linear [out, in], bias [out]
    public var offset: Int           // into the flat parameter/gradient buffers
    public var count: Int { shape.reduce(1, *) }
    public var layerIndex: Int
    public var isBias: Bool
}

public protocol Layer: AnyObject {
    var name: String { get }
    var inputShape: Shape { get }
    var outputShape: Shape { get }
    /// Parameter tensor shapes, weight first then bias (empty for parameter-free layers).
    var parameterShapes: [(suffix: String, shape: [Int])] { get }
    /// Points the layer at its slice of the flat buffers (weights then bias, contiguous).
    func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>)
    /// Sizes per-batch workspaces for up to `n` samples. Called before the first pass at a size.
    func reserve(batch n: Int)
    /// Floats of every workspace once reserved for `n` samples and after a backward (that computes
    /// dx when `inputGradient`: every layer but the first). The memory pre-flight's estimate;
    /// activations and parameters are the network's.
    func workspaceFloats(batch n: Int, inputGradient: Bool) -> Int
    /// y = f(x). x: (N, inputShape), y: (N, outputShape).
    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext)
    /// dx = df/dx^T dy (if dx is non-nil) and parameter gradients += df/dθ^T dy.
    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch n: Int)
}

extension Layer {
    public var parameterShapes: [(suffix: String, shape: [Int])] { [] }
    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {}
    public func reserve(batch n: Int) {}
    public func workspaceFloats(batch n: Int, inputGradient: Bool) -> Int { 0 }
    public var parameterCount: Int { parameterShapes.reduce(0) { $0 + $1.shape.reduce(1, *) } }
}

/// A layer that can write each sample's output at a distance other than `outputShape.count`:
/// sample b's output starts at y + b * outputStride (and its output gradient at dy + b *
/// outputStride; x and dx stay contiguous). A branch's last layer writes straight into its channel
/// slice of the concatenated output this way (no copy): stride = the concat's per-sample count.
public protocol StridedOutputLayer: Layer {
    /// >= outputShape.count; set by Network before each pass (default outputShape.count).
    var outputStride: Int { get set }
}

/// Sums statistics across the ranks that train together (one allreduce, in place, Double sums).
/// BatchNorm with sync uses it; nil (one process, or sync: false) means local statistics.
public protocol StatisticsReducer: AnyObject {
    func sum(_ values: UnsafeMutablePointer<Double>, count: Int)
}
