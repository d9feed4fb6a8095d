// Max and average pooling over (N, C, H, W) with kernel, stride and zero padding.
// Max pooling remembers the argmax of each window for backward (padding never wins: it is -inf).
// Average pooling divides by KH*KW including padded cells (PyTorch's count_include_pad=True).
// Fast paths for the common max pools without padding, in SIMD lanes with no branch that depends
// on the data: 2x2 stride 2 (Kernels/MaxPool2x2.swift; its windows tile the input, so backward
// writes dx directly instead of zeroing and scattering) and 3x3 stride 2 (Kernels/MaxPool3x3.swift).
// Ties keep the first maximum in row-major order, as the general loop does.
// Ceil mode (max pooling only, PyTorch's ceil_mode): the output size is rounded up, so the last
// window of a row or column may run past the input; it takes only the cells inside. Such layers
// never take a fast path (those read whole windows).
// Strided output (StridedOutputLayer): y and dy at outputStride per sample, one sample's C planes
// per run; at the default stride the batch's N*C planes are one run, as before.

import Core

public final class Pool2D: StridedOutputLayer {
    public enum Mode: Equatable, Sendable { case max, average }
    public let name: String
    public let mode: Mode
    public let inputShape: Shape
    public let outputShape: Shape
    public let geometry: ConvGeometry            // c = channels, kh/kw = window
    private var argmax: UnsafeMutablePointer<Int32> = allocateChecked(Int32.self, count: 1, for: "a max pool's indices")
    private var argmaxCapacity = 0
    /// Set per pass by Network (Fusion.swift) when the input is a fused ReLU's output: backward
    /// routes dy[o] only where the pooled value y[o] > 0, which is the ReLU's own mask at the
    /// argmax cell, so the ReLU's backward pass is left out. Off in plain passes, where dx is
    /// dLoss/d(the ReLU's output) unmasked.
    public var masksGradientByOutput = false
    /// Floats from one sample's y (and dy) to the next (StridedOutputLayer); x, dx and the argmax
    /// indices stay contiguous. At the default (outputShape.count) the batch's N*C planes are one run.
    public var outputStride: Int

    public init(name: String, mode: Mode, input: Shape, kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int),
                ceil: Bool = false) {
        precondition(!ceil || mode == .max, "ceil mode is for max pooling only")
        self.name = name; self.mode = mode; inputShape = input
        geometry = ConvGeometry(c: input.c, h: input.h, w: input.w, kh: kernel.0, kw: kernel.1,
                                sh: stride.0, sw: stride.1, ph: pad.0, pw: pad.1, ceil: ceil)
        outputShape = Shape(input.c, geometry.oh, geometry.ow)
        outputStride = outputShape.count
    }

    deinit { releaseChecked(argmax) }

    /// The argmax indices (Int32, as many as floats) of a max pool.
    public func workspaceFloats(batch n: Int, inputGradient: Bool) -> Int { mode == .max ? n * outputShape.count : 0 }

    public func reserve(batch n: Int) {
        guard mode == .max, n * outputShape.count > argmaxCapacity else { return }
        releaseChecked(argmax)
        argmaxCapacity = n * outputShape.count
        argmax = allocateChecked(Int32.self, count: argmaxCapacity, for: "\(name)'s max indices at batch \(n)")
    }

    private enum FastPath { case none, max2x2, max3x3 }
    private var fastPath: FastPath {
        let g = geometry
        guard mode == .max, g.ph == 0, g.pw == 0, g.sh == 2, g.sw == 2, !g.overhangs else { return .none }
        if g.kh == 2, g.kw == 2 { return .max2x2 }
        if g.kh == 3, g.kw == 3 { return .max3x3 }
        return .none
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        let outCount = outputShape.count, stride = outputStride
        if stride == outCount { return forwardPlanes(x, y, argmax, planes: n * geometry.c) }
        for b in 0..<n {
            forwardPlanes(x + b * inputShape.count, y + b * stride, argmax + b * outCount, planes: geometry.c)
        }
    }

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        guard let dx else { return }
        let mask = masksGradientByOutput && mode == .max
        let outCount = outputShape.count, stride = outputStride
        if stride == outCount { return backwardPlanes(y, dy, dx, argmax, planes: n * geometry.c, mask: mask) }
        for b in 0..<n {
            backwardPlanes(y + b * stride, dy + b * stride, dx + b * inputShape.count, argmax + b * outCount,
                           planes: geometry.c, mask: mask)
        }
    }

    /// `planes` contiguous input planes of x into as many contiguous output planes of y (and of
    /// the max pool's indices).
    private func forwardPlanes(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               _ indices: UnsafeMutablePointer<Int32>, planes: Int) {
        switch fastPath {
        case .max2x2: return maxForward2x2(x, y, indices, planes: planes)
        case .max3x3: return maxForward3x3(x, y, indices, planes: planes)
        case .none: break
        }
        let g = geometry, oh = g.oh, ow = g.ow, hw = g.h * g.w
        for p in 0..<planes {
            let src = x + p * hw, dst = y + p * oh * ow, arg = indices + p * oh * ow
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

    /// forwardPlanes' adjoint: dx's `planes` contiguous planes from as many of dy (and y, when
    /// `mask`) and of the indices.
    private func backwardPlanes(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                _ indices: UnsafePointer<Int32>, planes: Int, mask: Bool) {
        if fastPath == .max2x2 { return maxBackward2x2(dy, mask ? y : nil, dx, indices, planes: planes) }
        let g = geometry, oh = g.oh, ow = g.ow, hw = g.h * g.w
        dx.update(repeating: 0, count: planes * hw)
        let scale = 1 / Float(g.kh * g.kw)
        for p in 0..<planes {
            let d = dx + p * hw, grad = dy + p * oh * ow, arg = indices + p * oh * ow, pooled = y + p * oh * ow
            for oy in 0..<oh {
                let y0 = oy * g.sh - g.ph
                let yLo = max(y0, 0), yHi = min(y0 + g.kh, g.h)
                for ox in 0..<ow {
                    let o = oy * ow + ox
                    if mode == .max {
                        let i = Int(arg[o])
                        if i >= 0, !mask || pooled[o] > 0 { d[i] += grad[o] }
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

    // MARK: fast paths

    private func maxForward2x2(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               _ indices: UnsafeMutablePointer<Int32>, planes: Int) {
        let g = geometry, oh = g.oh, ow = g.ow, w = g.w, hw = g.h * g.w, ohw = oh * ow
        for p in 0..<planes {
            let src = x + p &* hw, dst = y + p &* ohw, arg = indices + p &* ohw
            for oy in 0..<oh {
                let r0 = src + oy &* 2 &* w
                maxPool2x2Row(r0, r0 + w, dst + oy &* ow, arg + oy &* ow, outputs: ow,
                              corner: Int32(truncatingIfNeeded: oy &* 2 &* w), width: Int32(w))
            }
        }
    }

    /// Windows tile the input: each dx cell gets its window's gradient or 0, written once.
    /// `pooled` (the forward's output): route only where it is > 0 (masksGradientByOutput).
    private func maxBackward2x2(_ dy: UnsafePointer<Float>, _ pooled: UnsafePointer<Float>?, _ dx: UnsafeMutablePointer<Float>,
                                _ indices: UnsafePointer<Int32>, planes: Int) {
        let g = geometry, oh = g.oh, ow = g.ow, w = g.w, h = g.h, hw = h * w, ohw = oh * ow
        let exact = 2 * oh == h && 2 * ow == w
        if !exact { dx.update(repeating: 0, count: planes * hw) }   // odd edges: uncovered cells stay 0
        for p in 0..<planes {
            let d = dx + p &* hw, grad = dy + p &* ohw, arg = indices + p &* ohw, y = pooled.map { $0 + p &* ohw }
            for oy in 0..<oh {
                let r0 = d + oy &* 2 &* w
                maxUnpool2x2Row(grad + oy &* ow, y.map { $0 + oy &* ow }, arg + oy &* ow, r0, r0 + w, outputs: ow,
                                corner: Int32(truncatingIfNeeded: oy &* 2 &* w), width: Int32(w))
            }
        }
    }

    private func maxForward3x3(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               _ indices: UnsafeMutablePointer<Int32>, planes: Int) {
        let g = geometry, oh = g.oh, ow = g.ow, w = g.w, hw = g.h * g.w, ohw = oh * ow
        for p in 0..<planes {
            let src = x + p &* hw, dst = y + p &* ohw, arg = indices + p &* ohw
            for oy in 0..<oh {
                let top = 2 &* oy &* w
                maxPool3x3Row(src + top, width: w, dst + oy &* ow, arg + oy &* ow, outputs: ow,
                              corner: Int32(truncatingIfNeeded: top))
            }
        }
    }
}
