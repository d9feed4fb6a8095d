// Global average pooling (PyTorch's nn.AdaptiveAvgPool2d(1)): (N, C, H, W) -> (N, C, 1, 1), each
// output the mean of its input plane. Backward spreads dy / (H*W) over the plane. No parameters,
// no workspace. Strided output (StridedOutputLayer): sample b's C means (and their gradients) at
// b * outputStride; x and dx contiguous.

import Core

public final class GlobalAvgPool: StridedOutputLayer {
    public let name: String
    public let inputShape: Shape
    public let outputShape: Shape
    /// Floats from one sample's y (and dy) to the next; default outputShape.count (= C).
    public var outputStride: Int

    public init(name: String, input: Shape) {
        self.name = name
        inputShape = input
        outputShape = Shape(input.c, 1, 1)
        outputStride = outputShape.count
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        let plane = inputShape.h * inputShape.w, scale = 1 / Float(plane), c = inputShape.c, stride = outputStride
        if stride == c {
            for p in 0..<(n * c) { y[p] = laneSum(x + p * plane, count: plane) * scale }
            return
        }
        for b in 0..<n {
            let xb = x + b * inputShape.count, yb = y + b * stride
            for k in 0..<c { yb[k] = laneSum(xb + k * plane, count: plane) * scale }
        }
    }

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        guard let dx else { return }
        let plane = inputShape.h * inputShape.w, scale = 1 / Float(plane), c = inputShape.c, stride = outputStride
        for s in 0..<n {
            let dys = dy + s * stride, dxs = dx + s * inputShape.count
            for k in 0..<c {
                let v = dys[k] * scale, d = dxs + k * plane
                var i = 0
                while i < plane { d[i] = v; i &+= 1 }
            }
        }
    }
}
