// Max and average pooling over (N, C, H, W) with kernel, stride and zero padding.
// Max pooling remembers the argmax of each window for backward (padding never wins: it is -inf).
// Average pooling divides by KH*KW including padded cells (PyTorch's count_include_pad=True).

public final class Pool2D: Layer {
    public enum Mode: Equatable, Sendable { case max, average }
    public let name: String
    public let mode: Mode
    public let inputShape: Shape
    public let outputShape: Shape
    public let geometry: ConvGeometry            // c = channels, kh/kw = window
    private var argmax: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
    private var argmaxCapacity = 0

    public init(name: String, mode: Mode, input: Shape, kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int)) {
        self.name = name; self.mode = mode; inputShape = input
        geometry = ConvGeometry(c: input.c, h: input.h, w: input.w, kh: kernel.0, kw: kernel.1,
                                sh: stride.0, sw: stride.1, ph: pad.0, pw: pad.1)
        outputShape = Shape(input.c, geometry.oh, geometry.ow)
    }

    deinit { argmax.deallocate() }

    public func reserve(batch n: Int) {
        guard mode == .max, n * outputShape.count > argmaxCapacity else { return }
        argmax.deallocate()
        argmaxCapacity = n * outputShape.count
        argmax = .allocate(capacity: argmaxCapacity)
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        let g = geometry, oh = g.oh, ow = g.ow, hw = g.h * g.w
        let planes = n * g.c
        for p in 0..<planes {
            let src = x + p * hw, dst = y + p * oh * ow, arg = argmax + p * oh * ow
            for oy in 0..<oh {
                let y0 = oy * g.sh - g.ph
                let yLo = max(y0, 0), yHi = min(y0 + g.kh, g.h)
                for ox in 0..<ow {
                    let x0 = ox * g.sw - g.pw
                    let xLo = max(x0, 0), xHi = min(x0 + g.kw, g.w)
                    let o = oy * ow + ox
                    if mode == .max {
                        var best = -Float.infinity, bestIndex: Int32 = -1
                        for iy in yLo..<max(yLo, yHi) {
                            for ix in xLo..<max(xLo, xHi) {
                                let v = src[iy * g.w + ix]
                                if v > best || bestIndex < 0 { best = v; bestIndex = Int32(iy * g.w + ix) }
                            }
                        }
                        dst[o] = best; arg[o] = bestIndex
                    } else {
                        var sum: Float = 0
                        for iy in yLo..<max(yLo, yHi) {
                            for ix in xLo..<max(xLo, xHi) { sum += src[iy * g.w + ix] }
                        }
                        dst[o] = sum / Float(g.kh * g.kw)
                    }
                }
            }
        }
    }

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        guard let dx else { return }
        let g = geometry, oh = g.oh, ow = g.ow, hw = g.h * g.w
        dx.update(repeating: 0, count: n * inputShape.count)
        let scale = 1 / Float(g.kh * g.kw)
        for p in 0..<(n * g.c) {
            let d = dx + p * hw, grad = dy + p * oh * ow, arg = argmax + p * oh * ow
            for oy in 0..<oh {
                let y0 = oy * g.sh - g.ph
                let yLo = max(y0, 0), yHi = min(y0 + g.kh, g.h)
                for ox in 0..<ow {
                    let o = oy * ow + ox
                    if mode == .max {
                        let i = Int(arg[o])
                        if i >= 0 { d[i] += grad[o] }
                    } else {
                        let x0 = ox * g.sw - g.pw
                        let xLo = max(x0, 0), xHi = min(x0 + g.kw, g.w)
                        let v = grad[o] * scale
                        for iy in yLo..<max(yLo, yHi) {
                            for ix in xLo..<max(xLo, xHi) { d[iy * g.w + ix] += v }
                        }
                    }
                }
            }
        }
    }
}
