// 2-D convolution (cross-correlation, as PyTorch's nn.Conv2d) by im2col over the whole batch and
// one GEMM per pass direction.
//
//   x      : (N, C, H, W)                 weight : (O, C, KH, KW) = (O, C*KH*KW) row-major
//   cols   : (C*KH*KW, N*OH*OW)           bias   : (O)
//   yT     : (O, N*OH*OW)  = weight · cols        then reordered to y : (N, O, OH, OW) + bias
//   backward: dyT (O, N*OH*OW) from dy;  dW += dyT · colsᵀ;  db += rowsum(dyT);
//             dcols = weightᵀ · dyT;  dx = col2im(dcols)

public final class Conv2D: Layer {
    public let name: String
    public let inputShape: Shape
    public let outputShape: Shape
    public let geometry: ConvGeometry
    public let outChannels: Int
    public let hasBias: Bool

    private var weight: UnsafeMutablePointer<Float>!, dWeight: UnsafeMutablePointer<Float>!
    private var bias: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?
    private var cols = Workspace()      // (C*KH*KW, N*OH*OW), kept from forward for backward
    private var product = Workspace()   // (O, N*OH*OW): forward yT, backward dyT
    private var dCols = Workspace()     // (C*KH*KW, N*OH*OW)

    public init(name: String, input: Shape, out: Int, kernel: (Int, Int), stride: (Int, Int),
                pad: (Int, Int), bias: Bool) {
        self.name = name
        inputShape = input
        outChannels = out
        hasBias = bias
        geometry = ConvGeometry(c: input.c, h: input.h, w: input.w, kh: kernel.0, kw: kernel.1,
                                sh: stride.0, sw: stride.1, ph: pad.0, pw: pad.1)
        outputShape = Shape(out, geometry.oh, geometry.ow)
    }

    public var parameterShapes: [(suffix: String, shape: [Int])] {
        let w = (suffix: "weight", shape: [outChannels, geometry.c, geometry.kh, geometry.kw])
        return hasBias ? [w, (suffix: "bias", shape: [outChannels])] : [w]
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        let wc = outChannels * geometry.rows
        weight = parameters; dWeight = gradients
        if hasBias { bias = parameters + wc; dBias = gradients + wc }
    }

    public func reserve(batch n: Int) {
        let columns = n * geometry.oh * geometry.ow
        _ = cols.reserve(geometry.rows * columns)
        _ = product.reserve(outChannels * columns)
        _ = dCols.reserve(geometry.rows * columns)
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        let ohw = geometry.oh * geometry.ow, columns = n * ohw, k = geometry.rows
        let colsP = cols.pointer, yT = product.pointer
        im2col(x, batch: n, geometry, colsP)
        // yT = W · cols : (O, K) x (K, N*OH*OW)
        gemm(.no, .no, m: outChannels, n: columns, k: k, weight, colsP, beta: 0, yT)
        // y[b, o, :] = yT[o, b*OHW ..< (b+1)*OHW] + bias[o]
        for o in 0..<outChannels {
            let b0 = bias?[o] ?? 0
            let src = yT + o * columns
            for b in 0..<n {
                let s = src + b * ohw, d = y + (b * outChannels + o) * ohw
                for i in 0..<ohw { d[i] = s[i] + b0 }
            }
        }
    }

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        let ohw = geometry.oh * geometry.ow, columns = n * ohw, k = geometry.rows
        let dyT = product.pointer
        // dyT[o, b*OHW + i] = dy[b, o, i]; db[o] += sum over b, i
        for o in 0..<outChannels {
            let d = dyT + o * columns
            var sum: Float = 0
            for b in 0..<n {
                let s = dy + (b * outChannels + o) * ohw, dd = d + b * ohw
                for i in 0..<ohw { let v = s[i]; dd[i] = v; sum += v }
            }
            if let dBias { dBias[o] += sum }
        }
        // dW += dyT · colsᵀ : (O, N*OHW) x (N*OHW, K)
        gemm(.no, .yes, m: outChannels, n: k, k: columns, dyT, cols.pointer, beta: 1, dWeight)
        guard let dx else { return }
        // dcols = Wᵀ · dyT : (K, O) x (O, N*OHW)
        gemm(.yes, .no, m: k, n: columns, k: outChannels, weight, dyT, beta: 0, dCols.pointer)
        dx.update(repeating: 0, count: n * inputShape.count)
        col2im(dCols.pointer, batch: n, geometry, dx)
    }
}
