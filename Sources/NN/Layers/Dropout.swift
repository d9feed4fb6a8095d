// Inverted dropout: in training each element is kept with probability 1-p and scaled by 1/(1-p);
// in evaluation it is the identity. The keep decision for element e of sample s is a pure function
// of (seed, epoch, s, layer salt, e), so the mask does not depend on the world size or the rank.

import Core

public final class Dropout: Layer {
    public let name: String
    public let p: Float
    public let inputShape: Shape
    public var outputShape: Shape { inputShape }
    private let salt: UInt64
    private var mask = Workspace()          // (N, inputShape): 0 or 1/(1-p), last training pass
    private var maskActive = false

    public init(name: String, p: Float, input: Shape, salt: UInt64) {
        self.name = name; self.p = p; inputShape = input; self.salt = salt
    }

    public func reserve(batch n: Int) { _ = mask.reserve(n * inputShape.count) }
    public func workspaceFloats(batch n: Int, inputGradient: Bool) -> Int { n * inputShape.count }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        let count = inputShape.count
        maskActive = context.training && p > 0
        guard maskActive else { y.update(from: x, count: n * count); return }
        let keep = 1 - p, scale: Float = p >= 1 ? 0 : 1 / keep
        let m = mask.pointer
        for b in 0..<n {
            let sample = UInt64(bitPattern: Int64(context.sampleIDs.map { Int($0[b]) } ?? b))
            let stream = mixKeys(context.seed, UInt64(context.epoch), sample, salt)
            for e in 0..<count {
                let i = b * count + e
                let u = counterUniform(stream, UInt64(e), 0, 0)
                let v: Float = u < keep ? scale : 0
                m[i] = v
                y[i] = x[i] * v
            }
        }
    }

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        guard let dx else { return }
        let count = n * inputShape.count
        guard maskActive else { dx.update(from: dy, count: count); return }
        let m = mask.pointer
        for i in 0..<count { dx[i] = dy[i] * m[i] }
    }
}
