// Fully connected layer, PyTorch's nn.Linear:  y = x · Wᵀ + b.
//   x : (N, I)   weight : (O, I)   bias : (O)   y : (N, O)
//   backward: dW += dyᵀ · x : (O, N) x (N, I);  db += colsum(dy);  dx = dy · W : (N, O) x (O, I)

import Core

public final class Linear: Layer {
    public let name: String
    public let inputShape: Shape
    public let outputShape: Shape
    public let inFeatures: Int, outFeatures: Int
    public let hasBias: Bool
    private var weight: UnsafeMutablePointer<Float>!, dWeight: UnsafeMutablePointer<Float>!
    private var bias: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?

    public init(name: String, input: Shape, out: Int, bias: Bool) {
        self.name = name
        inputShape = input
        inFeatures = input.count
        outFeatures = out
        hasBias = bias
        outputShape = Shape(flat: out)
    }

    public var parameterShapes: [(suffix: String, shape: [Int])] {
        let w = (suffix: "weight", shape: [outFeatures, inFeatures])
        return hasBias ? [w, (suffix: "bias", shape: [outFeatures])] : [w]
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        weight = parameters; dWeight = gradients
        if hasBias { bias = parameters + outFeatures * inFeatures; dBias = gradients + outFeatures * inFeatures }
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        if let bias {
            for b in 0..<n { (y + b * outFeatures).update(from: bias, count: outFeatures) }
        }
        // y (+)= x · Wᵀ : (N, I) x (I, O)
        gemm(.no, .yes, m: n, n: outFeatures, k: inFeatures, x, weight, beta: hasBias ? 1 : 0, y)
    }

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        // dW += dyᵀ · x : (O, N) x (N, I)
        gemm(.yes, .no, m: outFeatures, n: inFeatures, k: n, dy, x, beta: 1, dWeight)
        if let dBias {
            for b in 0..<n {
                let row = dy + b * outFeatures
                for o in 0..<outFeatures { dBias[o] += row[o] }
            }
        }
        // dx = dy · W : (N, O) x (O, I)
        if let dx { gemm(.no, .no, m: n, n: inFeatures, k: outFeatures, dy, weight, beta: 0, dx) }
    }
}
