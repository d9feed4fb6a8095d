// Local response normalisation across channels, exactly PyTorch's nn.LocalResponseNorm:
//   scale[c] = k + (alpha / size) * sum_{c' = c - size/2 ... c + (size-1)/2} x[c']^2
//   y[c]     = x[c] * scale[c]^(-beta)
// backward: dx[c] = dy[c] * scale[c]^(-beta)
//                   - (2 alpha beta / size) * x[c] * sum_{c' : c in window(c')} dy[c'] x[c'] scale[c']^(-beta-1)
// (AlexNet's paper writes alpha without the 1/size: configs/models/alexnet.yaml sets 0.0005.)
// scale^(-beta) is computed without powf per element: beta 0.75 (everyone's) as
// 1 / sqrt(s * sqrt(s)), beta 0.5 as 1 / sqrt(s), beta 1 as 1 / s, else exp(-beta * log s). The
// window sum of squares slides across channels (add the entering channel, drop the leaving one).

import Foundation

public final class LocalResponseNorm: Layer {
    public let name: String
    public let size: Int
    public let alpha: Float, beta: Float, k: Float
    public let inputShape: Shape
    public var outputShape: Shape { inputShape }
    private var scale = Workspace()        // (N, C, H, W), from forward
    private var ratio = Workspace()        // (C, H, W): dy * y / scale of one sample, in backward

    public init(name: String, input: Shape, size: Int, alpha: Float, beta: Float, k: Float) {
        self.name = name; inputShape = input; self.size = size
        self.alpha = alpha; self.beta = beta; self.k = k
    }

    public func reserve(batch n: Int) { _ = scale.reserve(n * inputShape.count); _ = ratio.reserve(inputShape.count) }

    private var power: NegativePower { NegativePower(beta) }
    private var before: Int { size / 2 }          // channels before c in c's window
    private var after: Int { (size - 1) / 2 }     // channels after c

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        let c = inputShape.c, hw = inputShape.h * inputShape.w, a = alpha / Float(size), kk = k
        let s = scale.pointer, power = self.power
        for b in 0..<n {
            let xb = x + b * c * hw, sb = s + b * c * hw, yb = y + b * c * hw
            for ch in 0..<c {
                let lo = max(0, ch - before), hi = min(c - 1, ch + after)
                let sc = sb + ch * hw
                for i in 0..<hw { sc[i] = 0 }
                for j in lo...hi {
                    let xj = xb + j * hw
                    for i in 0..<hw { sc[i] += xj[i] * xj[i] }
                }
                let xc = xb + ch * hw, yc = yb + ch * hw
                for i in 0..<hw { sc[i] = kk + a * sc[i] }
                power.apply(sc, xc, yc, hw)
            }
        }
    }

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        guard let dx else { return }
        let c = inputShape.c, hw = inputShape.h * inputShape.w
        let coef = 2 * alpha * beta / Float(size)
        let s = scale.pointer, power = self.power
        let r = ratio.reserve(inputShape.count)
        for b in 0..<n {
            let base = b * c * hw
            let xb = x + base, yb = y + base, db = dy + base, sb = s + base, dxb = dx + base
            // dx[c] = dy[c] * scale[c]^-beta; then subtract coef * x[c] * sum over windows containing c
            power.apply(sb, db, dxb, c * hw)
            // r[c'] = dy[c'] * x[c'] * scale[c']^(-beta-1) = dy[c'] * y[c'] / scale[c']
            for i in 0..<(c * hw) { r[i] = db[i] * yb[i] / sb[i] }
            for ch in 0..<c {
                // channels c' whose window contains ch: c' - before <= ch <= c' + after
                let lo = max(0, ch - after), hi = min(c - 1, ch + before)
                let xc = xb + ch * hw, dxc = dxb + ch * hw
                for j in lo...hi {
                    let rj = r + j * hw
                    for i in 0..<hw { dxc[i] -= coef * xc[i] * rj[i] }
                }
            }
        }
    }
}

/// out[i] = v[i] * s[i]^(-beta), with the common betas in closed form.
struct NegativePower {
    enum Kind { case threeQuarters, half, one, general }
    let kind: Kind, beta: Float
    init(_ beta: Float) {
        self.beta = beta
        kind = beta == 0.75 ? .threeQuarters : beta == 0.5 ? .half : beta == 1 ? .one : .general
    }
    @inline(__always)
    func apply(_ s: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        switch kind {
        case .threeQuarters: for i in 0..<count { let x = s[i]; out[i] = v[i] / (x * x.squareRoot()).squareRoot() }
        case .half: for i in 0..<count { out[i] = v[i] / s[i].squareRoot() }
        case .one: for i in 0..<count { out[i] = v[i] / s[i] }
        case .general: for i in 0..<count { out[i] = v[i] * expf(-beta * logf(s[i])) }
        }
    }
}
