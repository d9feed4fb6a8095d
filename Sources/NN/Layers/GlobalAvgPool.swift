// Global average pooling (PyTorch's nn.AdaptiveAvgPool2d(1)): (N, C, H, W) -> (N, C, 1, 1), each
// output the mean of its input plane. Backward spreads dy / (H*W) over the plane. No parameters,
// no workspace.

import Core

public final class GlobalAvgPool: Layer {
    public let name: String
    public let inputShape: Shape
    public let outputShape: Shape

    public init(name: String, input: Shape) {
        self.name = name
        inputShape = input
        outputShape = Shape(input.c, 1, 1)
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        let plane = inputShape.h * inputShape.w, scale = 1 / Float(plane)
        for p in 0..<(n * inputShape.c) { y[p] = laneSum(x + p * plane, count: plane) * scale }
    }

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        guard let dx else { return }
        let plane = inputShape.h * inputShape.w, scale = 1 / Float(plane)
        for p in 0..<(n * inputShape.c) {
            let v = dy[p] * scale, d = dx + p * plane
            var i = 0
            while i < plane { d[i] = v; i &+= 1 }
        }
    }
}
