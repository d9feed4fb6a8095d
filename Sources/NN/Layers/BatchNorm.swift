// Batch normalisation, PyTorch's nn.BatchNorm2d (affine, track_running_stats) and, with a
// reducer, nn.SyncBatchNorm. Per channel c over the M = N·H·W values of its planes:
//   x : (N, C, H, W) or flat (N, C) (a channel of plane 1)   y : the same shape
//   weight γ : [C]   bias β : [C]   state: running_mean [C] then running_var [C] (buffers, not
//   parameters: the network owns them and hands them over with bindState; mean 0, var 1 at start;
//   until then the layer keeps its own, so it also runs alone)
// Training (context.training):
//   mean = Σx / M   var = Σx² / M − mean² (biased)   invstd = 1 / sqrt(var + eps)
//   x̂ = (x − mean) · invstd   y = γ · x̂ + β
//   running_mean = (1 − m) · running_mean + m · mean
//   running_var  = (1 − m) · running_var  + m · var · M / (M − 1)   (unbiased; kept as is when M = 1)
//   numBatchesTracked += 1
// Evaluation: the same with mean = running_mean, var = running_var; nothing changes.
// Backward (PyTorch's SyncBatchNorm formula; after an evaluation forward Σdy and Σdy·x̂ drop out
// of dx because the statistics are constants there):
//   dx = γ · invstd · (dy − Σdy / M − x̂ · Σ(dy · x̂) / M)     (overwrites)
//   dγ += Σ(dy · x̂)   dβ += Σdy                                (accumulate; local sums)
// sync: with `sync` and a reducer, a training forward sums [Σx, Σx², count] (2C + 1 Doubles)
// over every rank with one reducer.sum, so mean, var, M and the running statistics are
// the global batch's on every rank; backward sums [Σdy, Σdy · x̂] (2C) the same way (skipped when
// no dx is asked for: the first layer on every rank). γ and β gradients stay local sums: the
// trainer averages parameter gradients afterwards, which makes them the global batch's, as DDP
// with SyncBatchNorm. Every rank must call forward and backward (an empty shard too: n = 0 still
// joins the sums). Without sync or reducer the statistics are this process's batch.
// Numerics: each plane is summed in SIMD8 Float lanes shifted by its first value x0 (S1 = Σ(x − x0),
// S2 = Σ(x − x0)², so a large mean does not swamp the variance in Float), then planes add
// Σx = hw·x0 + S1 and Σx² = hw·x0² + 2·x0·S1 + S2 in Double; flat inputs add every value in Double.
// Strided output: sample b's y (and dy) starts at b · outputStride; x and dx are contiguous.
// Workspaces: per-channel mean, invstd and the dx coefficients (5C floats) and the sums (2C + 1
// Doubles), all made in init: no batch-sized workspace (backward recomputes x̂ from x), and no
// allocation in forward or backward.

import Core

public final class BatchNorm: StridedOutputLayer {
    public let name: String
    public let inputShape: Shape
    public var outputShape: Shape { inputShape }
    public let eps: Float
    public let momentum: Float
    /// Whether training statistics are summed over the ranks through `reducer` (when one is set).
    public let sync: Bool
    public var reducer: StatisticsReducer?
    public var outputStride: Int
    public var numBatchesTracked: Int64 = 0
    public var channels: Int { inputShape.c }
    /// Floats of state: running_mean then running_var.
    public var stateCount: Int { 2 * inputShape.c }

    private var gamma: UnsafeMutablePointer<Float>!, beta: UnsafeMutablePointer<Float>!
    private var dGamma: UnsafeMutablePointer<Float>!, dBeta: UnsafeMutablePointer<Float>!
    /// running_mean [C] then running_var [C]: the network's, or ownState until bindState.
    private var state: UnsafeMutablePointer<Float>
    private var ownState: FloatBuffer?
    /// mean [C], invstd [C], γ·invstd [C], p [C], q [C] (dx coefficients), from the last pass.
    private let stats: FloatBuffer
    /// [Σ, Σ², count] in forward, [Σdy, Σdy·x̂] in backward.
    private let sums: UnsafeMutablePointer<Double>
    /// The last forward normalised with batch statistics (training) over `batchCount` values.
    private var batchStatistics = false
    private var batchCount: Double = 0

    public init(name: String, input: Shape, eps: Float = 1e-5, momentum: Float = 0.1, sync: Bool = true) {
        self.name = name
        inputShape = input
        self.eps = eps
        self.momentum = momentum
        self.sync = sync
        outputStride = input.count
        let c = input.c
        let own = FloatBuffer(count: 2 * c)
        BatchNorm.initialState(own.pointer, channels: c)
        ownState = own
        state = own.pointer
        stats = FloatBuffer(count: 5 * c)
        sums = allocateChecked(Double.self, count: 2 * c + 1, for: "\(name)'s statistics")
        sums.initialize(repeating: 0, count: 2 * c + 1)
    }

    deinit { releaseChecked(sums) }

    /// mean 0 and var 1 for every channel (PyTorch's reset_running_stats).
    public static func initialState(_ p: UnsafeMutablePointer<Float>, channels: Int) {
        p.update(repeating: 0, count: channels)
        (p + channels).update(repeating: 1, count: channels)
    }

    public var parameterShapes: [(suffix: String, shape: [Int])] {
        [(suffix: "weight", shape: [channels]), (suffix: "bias", shape: [channels])]
    }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        gamma = parameters; beta = parameters + channels
        dGamma = gradients; dBeta = gradients + channels
    }

    /// Points the layer at its 2C floats of state (running_mean then running_var), kept as found.
    public func bindState(_ p: UnsafeMutablePointer<Float>) {
        state = p
        ownState = nil
    }

    public var runningMean: UnsafeMutablePointer<Float> { state }
    public var runningVar: UnsafeMutablePointer<Float> { state + channels }

    public func workspaceFloats(batch n: Int, inputGradient: Bool) -> Int { 5 * channels + 2 * (2 * channels + 1) }

    // MARK: forward

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        precondition(outputStride >= inputShape.count, "\(name): output stride \(outputStride) below \(inputShape.count)")
        let c = channels
        let mean = stats.pointer, invstd = mean + c, scale = mean + 2 * c
        if context.training {
            computeBatchStatistics(x, batch: n)
        } else {
            batchStatistics = false
            let rv = runningVar
            for ch in 0..<c {
                mean[ch] = state[ch]
                invstd[ch] = Float(1 / (Double(rv[ch]) + Double(eps)).squareRoot())
            }
        }
        for ch in 0..<c { scale[ch] = gamma[ch] * invstd[ch] }

        let hw = inputShape.h * inputShape.w, cs = inputShape.count, stride = outputStride
        if hw == 1 {
            for b in 0..<n { normalizeRow(x + b * cs, y + b * stride, count: c, mean: mean, scale: scale, bias: beta) }
        } else {
            for b in 0..<n {
                for ch in 0..<c {
                    normalizePlane(x + (b * cs + ch * hw), y + (b * stride + ch * hw), count: hw,
                                   mean: mean[ch], scale: scale[ch], bias: beta[ch])
                }
            }
        }
    }

    /// Mean and invstd into stats from this batch (all ranks' with sync), and the running update.
    private func computeBatchStatistics(_ x: UnsafePointer<Float>, batch n: Int) {
        let c = channels, hw = inputShape.h * inputShape.w, cs = inputShape.count
        let s = sums, sq = sums + c
        s.update(repeating: 0, count: 2 * c + 1)
        if hw == 1 {
            for b in 0..<n {
                let row = x + b * cs
                for f in 0..<c {
                    let v = Double(row[f])
                    s[f] += v; sq[f] += v * v
                }
            }
        } else {
            let planeCount = Double(hw)
            for b in 0..<n {
                for ch in 0..<c {
                    let plane = x + (b * cs + ch * hw), x0 = plane[0]
                    let (s1, s2) = shiftedMoments(plane, count: hw, shift: x0)
                    let v0 = Double(x0), d1 = Double(s1)
                    s[ch] += planeCount * v0 + d1
                    sq[ch] += (planeCount * v0 + 2 * d1) * v0 + Double(s2)
                }
            }
        }
        s[2 * c] = Double(n * hw)
        if sync, let reducer { reducer.sum(s, count: 2 * c + 1) }
        let m = s[2 * c]
        batchStatistics = true
        batchCount = m

        let mean = stats.pointer, invstd = mean + c, rm = runningMean, rv = runningVar
        guard m > 0 else {
            // no values anywhere: nothing to normalise and nothing to learn from
            for ch in 0..<c { mean[ch] = 0; invstd[ch] = 0 }
            return
        }
        let momentum = Double(self.momentum), keep = 1 - momentum
        for ch in 0..<c {
            let meanValue = s[ch] / m
            let variance = max(0, sq[ch] / m - meanValue * meanValue)
            mean[ch] = Float(meanValue)
            invstd[ch] = Float(1 / (variance + Double(eps)).squareRoot())
            rm[ch] = Float(keep * Double(rm[ch]) + momentum * meanValue)
            if m > 1 { rv[ch] = Float(keep * Double(rv[ch]) + momentum * variance * m / (m - 1)) }
        }
        numBatchesTracked += 1
    }

    // MARK: backward

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        let c = channels, hw = inputShape.h * inputShape.w, cs = inputShape.count, stride = outputStride
        let mean = stats.pointer, invstd = mean + c, scale = mean + 2 * c, p = mean + 3 * c, q = mean + 4 * c
        let sdy = sums, sdx = sums + c        // Σdy, then Σdy·(x − mean) turned into Σdy·x̂
        sdy.update(repeating: 0, count: 2 * c)
        if hw == 1 {
            for b in 0..<n {
                let xr = x + b * cs, dr = dy + b * stride
                for f in 0..<c {
                    let g = Double(dr[f])
                    sdy[f] += g; sdx[f] += g * Double(xr[f] - mean[f])
                }
            }
        } else {
            for b in 0..<n {
                for ch in 0..<c {
                    let (s1, s2) = gradientMoments(dy + (b * stride + ch * hw), x + (b * cs + ch * hw), count: hw,
                                                   mean: mean[ch])
                    sdy[ch] += Double(s1); sdx[ch] += Double(s2)
                }
            }
        }
        for ch in 0..<c {
            sdx[ch] *= Double(invstd[ch])
            dBeta[ch] += Float(sdy[ch])
            dGamma[ch] += Float(sdx[ch])
        }
        guard let dx else { return }

        // dx = k·dy + p·(x − mean) + q, k = γ·invstd, p = −k·invstd·Σ(dy·x̂)/M, q = −k·Σdy/M
        if batchStatistics {
            if sync, let reducer { reducer.sum(sums, count: 2 * c) }
            let m = batchCount
            for ch in 0..<c {
                let k = Double(scale[ch]), inv = Double(invstd[ch])
                p[ch] = m > 0 ? Float(-k * inv * sdx[ch] / m) : 0
                q[ch] = m > 0 ? Float(-k * sdy[ch] / m) : 0
            }
        } else {
            p.update(repeating: 0, count: c)
            q.update(repeating: 0, count: c)
        }
        if hw == 1 {
            for b in 0..<n {
                inputGradientRow(dy + b * stride, x + b * cs, dx + b * cs, count: c, mean: mean, scale: scale, p: p, q: q)
            }
        } else {
            for b in 0..<n {
                for ch in 0..<c {
                    inputGradientPlane(dy + (b * stride + ch * hw), x + (b * cs + ch * hw), dx + (b * cs + ch * hw),
                                       count: hw, mean: mean[ch], scale: scale[ch], p: p[ch], q: q[ch])
                }
            }
        }
    }
}

// MARK: kernels (one plane, or one flat row across channels)

/// (Σ(p[i] − k), Σ(p[i] − k)²) over `count` floats in SIMD8 lanes, fixed order.
@inline(__always)
private func shiftedMoments(_ p: UnsafePointer<Float>, count: Int, shift k: Float) -> (Float, Float) {
    let k8 = SIMD8<Float>(repeating: k)
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), q0 = SIMD8<Float>(), q1 = SIMD8<Float>()
    var i = 0
    while i &+ 16 <= count {
        let a = load8(p + i) - k8, b = load8(p + (i &+ 8)) - k8
        s0 += a; s1 += b
        multiplyAdd(&q0, a, a); multiplyAdd(&q1, b, b)
        i &+= 16
    }
    if i &+ 8 <= count {
        let a = load8(p + i) - k8
        s0 += a; multiplyAdd(&q0, a, a)
        i &+= 8
    }
    var ts: Float = 0, tq: Float = 0
    while i < count { let a = p[i] - k; ts += a; tq += a * a; i &+= 1 }
    return ((s0 + s1).sum() + ts, (q0 + q1).sum() + tq)
}

/// (Σdy, Σdy·(x − mean)) over `count` values in SIMD8 lanes, fixed order.
@inline(__always)
private func gradientMoments(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int,
                             mean: Float) -> (Float, Float) {
    let m8 = SIMD8<Float>(repeating: mean)
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), q0 = SIMD8<Float>(), q1 = SIMD8<Float>()
    var i = 0
    while i &+ 16 <= count {
        let g0 = load8(dy + i), g1 = load8(dy + (i &+ 8))
        s0 += g0; s1 += g1
        multiplyAdd(&q0, g0, load8(x + i) - m8); multiplyAdd(&q1, g1, load8(x + (i &+ 8)) - m8)
        i &+= 16
    }
    if i &+ 8 <= count {
        let g = load8(dy + i)
        s0 += g; multiplyAdd(&q0, g, load8(x + i) - m8)
        i &+= 8
    }
    var ts: Float = 0, tq: Float = 0
    while i < count { let g = dy[i]; ts += g; tq += g * (x[i] - mean); i &+= 1 }
    return ((s0 + s1).sum() + ts, (q0 + q1).sum() + tq)
}

/// y = (x − mean)·scale + bias over one plane.
@inline(__always)
private func normalizePlane(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
                            mean: Float, scale: Float, bias: Float) {
    let m8 = SIMD8<Float>(repeating: mean), k8 = SIMD8<Float>(repeating: scale), b8 = SIMD8<Float>(repeating: bias)
    var i = 0
    while i &+ 8 <= count {
        var v = b8
        multiplyAdd(&v, load8(x + i) - m8, k8)
        store8(v, y + i)
        i &+= 8
    }
    while i < count { y[i] = (x[i] - mean) * scale + bias; i &+= 1 }
}

/// y[f] = (x[f] − mean[f])·scale[f] + bias[f] over one flat row.
@inline(__always)
private func normalizeRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
                          mean: UnsafePointer<Float>, scale: UnsafePointer<Float>, bias: UnsafePointer<Float>) {
    var i = 0
    while i &+ 8 <= count {
        var v = load8(bias + i)
        multiplyAdd(&v, load8(x + i) - load8(mean + i), load8(scale + i))
        store8(v, y + i)
        i &+= 8
    }
    while i < count { y[i] = (x[i] - mean[i]) * scale[i] + bias[i]; i &+= 1 }
}

/// dx = scale·dy + p·(x − mean) + q over one plane.
@inline(__always)
private func inputGradientPlane(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                count: Int, mean: Float, scale: Float, p: Float, q: Float) {
    let m8 = SIMD8<Float>(repeating: mean), k8 = SIMD8<Float>(repeating: scale)
    let p8 = SIMD8<Float>(repeating: p), q8 = SIMD8<Float>(repeating: q)
    var i = 0
    while i &+ 8 <= count {
        var v = q8
        multiplyAdd(&v, k8, load8(dy + i))
        multiplyAdd(&v, p8, load8(x + i) - m8)
        store8(v, dx + i)
        i &+= 8
    }
    while i < count { dx[i] = q + scale * dy[i] + p * (x[i] - mean); i &+= 1 }
}

/// dx[f] = scale[f]·dy[f] + p[f]·(x[f] − mean[f]) + q[f] over one flat row.
@inline(__always)
private func inputGradientRow(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                              count: Int, mean: UnsafePointer<Float>, scale: UnsafePointer<Float>,
                              p: UnsafePointer<Float>, q: UnsafePointer<Float>) {
    var i = 0
    while i &+ 8 <= count {
        var v = load8(q + i)
        multiplyAdd(&v, load8(scale + i), load8(dy + i))
        multiplyAdd(&v, load8(p + i), load8(x + i) - load8(mean + i))
        store8(v, dx + i)
        i &+= 8
    }
    while i < count { dx[i] = q[i] + scale[i] * dy[i] + p[i] * (x[i] - mean[i]); i &+= 1 }
}
