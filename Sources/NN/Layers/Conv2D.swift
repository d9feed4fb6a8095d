// 2-D convolution (cross-correlation, as PyTorch's nn.Conv2d) by one of three algorithms, chosen
// from the shape when the layer is built:
//   direct       stride 1 with few filter weights (LeNet): Kernels/DirectConv.swift, no im2col
//   per-sample   small filters over large planes: im2col + one GEMM per sample, straight into NCHW
//   batch GEMM   everything else (AlexNet-sized layers): im2col + one GEMM over the whole batch
//
//   x      : (N, C, H, W)                 weight : (O, C, KH, KW) = (O, K) row-major, K = C*KH*KW
//   cols   : (K, N*OHW)  = im2col(x)       bias   : (O)
//   forward, per sample b (small filters, large planes): y_b (O, OHW) = weight · cols[:, b] written
//            straight into y's NCHW slice (ldb = N*OHW), + bias while the slice is hot;
//            small images: yT (O, N*OHW) = weight · cols in one GEMM, then reordered to y + bias.
//   backward: db += rowsum(dy);  large images, per sample straight from dy: dW += dy_b · cols_bᵀ,
//             dcols_b = weightᵀ · dy_b;  small images: dyT (O, N*OHW) = dy reordered,
//             dW += dyT · colsᵀ, dcols = weightᵀ · dyT (one GEMM each);  then dx = col2im(dcols)
//
// Groups G (PyTorch's): weight (O, C/G, KH, KW); output channels [g O/G, (g+1) O/G) see only input
// channels [g C/G, (g+1) C/G), whose im2col rows are the contiguous block [g K/G, (g+1) K/G). So
// every product above runs as G GEMMs over row blocks of the same buffers: W_g (O/G, K/G) at
// weight + g (O/G)(K/G), cols_g at row g K/G, y/yT/dy/dyT rows at g O/G. Workspaces are the ones of
// G = 1. Grouped layers never run direct (its kernels couple every input channel to every filter).
//
// Strided output (StridedOutputLayer): sample b's y (forward) and dy (backward) start at
// b * outputStride instead of b * O*OHW (a branch writing into its slice of a concatenation). Only
// those per-sample offsets change: every GEMM and reorder works within one sample's planes, whose
// O*OHW floats stay contiguous; x, dx and the workspaces stay contiguous too.

import Core

public enum ConvAlgorithm: String, Sendable {
    case direct, perSampleGEMM = "per-sample GEMM", batchGEMM = "batch GEMM"
}

public final class Conv2D: StridedOutputLayer {
    public let name: String
    public let inputShape: Shape
    public let outputShape: Shape
    public let geometry: ConvGeometry
    public let outChannels: Int
    public let groups: Int
    public let hasBias: Bool
    public let algorithm: ConvAlgorithm
    /// Stores max(y, 0) instead of y: the ReLU that follows, fused in (set per pass by Network;
    /// backward then expects dy already masked by the ReLU — see Fusion.swift).
    public var appliesReLU = false
    /// Floats from one sample's output (and output gradient) to the next: outputShape.count, or
    /// more when the layer writes into its channel slice of a concatenation (StridedOutputLayer).
    /// x, dx and every workspace stay contiguous.
    public var outputStride: Int
    /// Stride-1 layers with at most this many filter weights run direct: the GEMMs of such layers
    /// have too few rows (filters) and too short a depth for BLAS to beat a register-tiled loop.
    static let directWeights = 16_384
    /// Small filters (weights <= perSampleWeights) over large planes (OHW >= perSampleColumns) get
    /// one GEMM per sample, cache-sized and with no reorder copy; everything else one whole-batch
    /// GEMM per product, whose long dimension keeps BLAS at its best (AlexNet-sized layers).
    static let perSampleColumns = 256, perSampleWeights = 16_384

    private var weight: UnsafeMutablePointer<Float>!, dWeight: UnsafeMutablePointer<Float>!
    private var bias: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?
    private var cols = Workspace()      // (K, N*OHW), kept from forward for backward
    private var product = Workspace()   // (O, N*OHW): forward yT, backward dyT
    private var dCols = Workspace()     // (K, N*OHW), allocated on the first backward that needs dx
    private var capacity = 0
    // direct: the batch's padded input, kept from forward for the filter gradient; one sample's
    // padded dy; the packed filters (forward, flipped for dx); lane-wise filter-gradient sums
    private let direct: DirectConvolution?
    private var padded = Workspace()            // (N, C, ROWS, ROWLEN)
    private var paddedGradient = Workspace()    // (O, dy ROWS, dy ROWLEN) + (OH·OW, O16) transposed
    private var packed = Workspace(), packedFlipped = Workspace(), partialSums = Workspace()

    public init(name: String, input: Shape, out: Int, kernel: (Int, Int), stride: (Int, Int),
                pad: (Int, Int), bias: Bool, groups: Int = 1, algorithm forced: ConvAlgorithm? = nil) {
        precondition(groups >= 1 && input.c % groups == 0 && out % groups == 0,
                     "\(name): groups \(groups) must divide \(input.c) input and \(out) output channels")
        self.name = name
        inputShape = input
        outChannels = out
        self.groups = groups
        hasBias = bias
        geometry = ConvGeometry(c: input.c, h: input.h, w: input.w, kh: kernel.0, kw: kernel.1,
                                sh: stride.0, sw: stride.1, ph: pad.0, pw: pad.1)
        outputShape = Shape(out, geometry.oh, geometry.ow)
        outputStride = outputShape.count
        let weights = out * geometry.rows / groups
        let directApplies = groups == 1 && DirectConvolution.applies(geometry)
        let chosen: ConvAlgorithm
        if let forced, forced != .direct || directApplies {
            chosen = forced
        } else if directApplies && weights <= Self.directWeights {
            chosen = .direct
        } else if geometry.oh * geometry.ow >= Self.perSampleColumns && weights <= Self.perSampleWeights {
            chosen = .perSampleGEMM
        } else {
            chosen = .batchGEMM
        }
        algorithm = chosen
        direct = chosen == .direct ? DirectConvolution(geometry, outChannels: out) : nil
        if let direct {
            _ = paddedGradient.reserve(direct.scratchCount)
            _ = packed.reserve(direct.packedCount)
            _ = packedFlipped.reserve(direct.packedFlippedCount)
            _ = partialSums.reserve(direct.partialSumCount)
        }
    }

    public var parameterShapes: [(suffix: String, shape: [Int])] {
        let w = (suffix: "weight", shape: [outChannels, geometry.c / groups, geometry.kh, geometry.kw])
        return hasBias ? [w, (suffix: "bias", shape: [outChannels])] : [w]
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        let wc = outChannels * geometry.rows / groups
        weight = parameters; dWeight = gradients
        if hasBias { bias = parameters + wc; dBias = gradients + wc }
    }

    private var perSample: Bool { algorithm == .perSampleGEMM }

    /// As `reserve` plus the dx workspace of a GEMM convolution's backward (the same for any
    /// groups: the G GEMMs share the buffers); direct: the padded batch and the per-layer scratch,
    /// packed filters and partial sums.
    public func workspaceFloats(batch n: Int, inputGradient: Bool) -> Int {
        if let direct {
            return n * direct.input.count + direct.scratchCount + direct.packedCount + direct.packedFlippedCount
                + direct.partialSumCount
        }
        let columns = n * geometry.oh * geometry.ow
        return (inputGradient ? 2 : 1) * geometry.rows * columns + (perSample ? 0 : outChannels * columns)
    }

    public func reserve(batch n: Int) {
        guard n > capacity else { return }
        capacity = n
        if let direct { _ = padded.reserve(n * direct.input.count); return }
        let columns = n * geometry.oh * geometry.ow
        _ = cols.reserve(geometry.rows * columns)
        if !perSample { _ = product.reserve(outChannels * columns) }
        if dCols.storage.count > 0 { _ = dCols.reserve(geometry.rows * columns) }
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        if let direct { return forwardDirect(direct, x, y, batch: n) }
        let ohw = geometry.oh * geometry.ow, columns = n * ohw, o = outChannels, stride = outputStride
        let og = o / groups, kg = geometry.rows / groups
        let colsP = cols.pointer
        im2col(x, batch: n, geometry, colsP)
        if perSample {
            for b in 0..<n {
                let yb = y + b * stride
                // y_b,g = W_g · cols_b,g : (O/G, K/G) x (K/G, OHW), cols_b strided inside the batch
                for g in 0..<groups {
                    gemm(.no, .no, m: og, n: ohw, k: kg, weight + g * og * kg, lda: kg, colsP + g * kg * columns + b * ohw,
                         ldb: columns, beta: 0, yb + g * og * ohw, ldc: ohw)
                }
                if let bias { addBias(yb, bias, channels: o, plane: ohw) }
                if appliesReLU { relu(yb, into: yb, count: o * ohw) }
            }
            return
        }
        let yT = product.pointer
        // yT_g = W_g · cols_g : (O/G, K/G) x (K/G, N*OHW)
        for g in 0..<groups {
            gemm(.no, .no, m: og, n: columns, k: kg, weight + g * og * kg, lda: kg, colsP + g * kg * columns, ldb: columns,
                 beta: 0, yT + g * og * columns, ldc: columns)
        }
        // y[b, o, :] = yT[o, b*OHW ..< (b+1)*OHW] + bias[o]
        for oc in 0..<o {
            let b0 = bias?[oc] ?? 0
            let src = yT + oc * columns
            for b in 0..<n {
                let s = src + b * ohw, d = y + b * stride + oc * ohw
                var i = 0
                if appliesReLU {
                    while i < ohw { d[i] = max(s[i] + b0, 0); i &+= 1 }
                } else {
                    while i < ohw { d[i] = s[i] + b0; i &+= 1 }
                }
            }
        }
    }

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        if let direct { return backwardDirect(direct, dy, dx, batch: n) }
        let ohw = geometry.oh * geometry.ow, columns = n * ohw, o = outChannels, stride = outputStride
        let og = o / groups, kg = geometry.rows / groups
        let dc: UnsafeMutablePointer<Float>? = dx == nil ? nil : dCols.reserve(geometry.rows * capacity * ohw)
        if perSample {
            // straight from dy's NCHW slices, no reorder:  db[o] += sum of dy_b[o, :]
            for b in 0..<n {
                let dyb = dy + b * stride
                if let dBias { addPlaneSums(dyb, into: dBias, channels: o, plane: ohw) }
                for g in 0..<groups {
                    let wg = g * og * kg, colsG = g * kg * columns + b * ohw, dyg = dyb + g * og * ohw
                    // dW_g += dy_b,g · cols_b,gᵀ : (O/G, OHW) x (OHW, K/G)
                    gemm(.no, .yes, m: og, n: kg, k: ohw, dyg, lda: ohw, cols.pointer + colsG, ldb: columns,
                         beta: 1, dWeight + wg, ldc: kg)
                    // dcols_b,g = W_gᵀ · dy_b,g : (K/G, O/G) x (O/G, OHW), written into the batch layout
                    if let dc {
                        gemm(.yes, .no, m: kg, n: ohw, k: og, weight + wg, lda: kg, dyg, ldb: ohw, beta: 0, dc + colsG, ldc: columns)
                    }
                }
            }
        } else {
            let dyT = product.pointer
            // dyT[o, b*OHW + i] = dy[b, o, i]; db[o] += sum over b, i
            for oc in 0..<o {
                let d = dyT + oc * columns
                for b in 0..<n {
                    let s = dy + b * stride + oc * ohw, dd = d + b * ohw
                    var i = 0
                    while i < ohw { dd[i] = s[i]; i &+= 1 }
                }
                if let dBias { dBias[oc] += laneSum(d, count: columns) }
            }
            for g in 0..<groups {
                let wg = g * og * kg, colsG = g * kg * columns, dyg = dyT + g * og * columns
                // dW_g += dyT_g · cols_gᵀ : (O/G, N*OHW) x (N*OHW, K/G)
                gemm(.no, .yes, m: og, n: kg, k: columns, dyg, lda: columns, cols.pointer + colsG, ldb: columns,
                     beta: 1, dWeight + wg, ldc: kg)
                // dcols_g = W_gᵀ · dyT_g : (K/G, O/G) x (O/G, N*OHW)
                if let dc {
                    gemm(.yes, .no, m: kg, n: columns, k: og, weight + wg, lda: kg, dyg, ldb: columns, beta: 0, dc + colsG, ldc: columns)
                }
            }
        }
        guard let dx, let dc else { return }
        dx.update(repeating: 0, count: n * inputShape.count)
        col2im(dc, batch: n, geometry, dx)
    }

    // MARK: direct

    private func forwardDirect(_ d: DirectConvolution, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int) {
        d.packFilters(weight, into: packed.pointer)
        let xp = padded.pointer
        for b in 0..<n {
            let xpb = xp + b * d.input.count
            d.input.fill(x + b * inputShape.count, into: xpb)
            d.forward(xpb, packed.pointer, bias: bias, relu: appliesReLU, y + b * outputStride)
        }
    }

    private func backwardDirect(_ d: DirectConvolution, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        let partial = partialSums.pointer
        partial.update(repeating: 0, count: d.partialSumCount)
        if dx != nil { d.packFlippedFilters(weight, into: packedFlipped.pointer) }
        for b in 0..<n {
            let dyb = dy + b * outputStride
            if let dBias { addPlaneSums(dyb, into: dBias, channels: outChannels, plane: outputShape.h * outputShape.w) }
            d.backward(padded.pointer + b * d.input.count, dyb, scratch: paddedGradient.pointer,
                       partial: partial, flipped: packedFlipped.pointer, dx.map { $0 + b * inputShape.count })
        }
        d.reduceFilterGradient(partial, into: dWeight)
    }
}

/// y[c, :] += bias[c] over `channels` planes of `plane` floats.
@inline(__always)
func addBias(_ y: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, channels: Int, plane: Int) {
    for c in 0..<channels {
        let v = bias[c], p = y + c * plane
        var i = 0
        while i < plane { p[i] += v; i &+= 1 }
    }
}

/// dBias[c] += Σ dy[c, :] over `channels` planes of `plane` floats (addBias's adjoint).
@inline(__always)
func addPlaneSums(_ dy: UnsafePointer<Float>, into dBias: UnsafeMutablePointer<Float>, channels: Int, plane: Int) {
    for c in 0..<channels { dBias[c] += laneSum(dy + c * plane, count: plane) }
}
