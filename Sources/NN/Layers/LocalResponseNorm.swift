// Local response normalisation across channels, exactly PyTorch's nn.LocalResponseNorm:
//   scale[c] = k + (alpha / size) * sum_{c' = c - size/2 ... c + (size-1)/2} x[c']^2
//   y[c]     = x[c] * scale[c]^(-beta)
// backward: dx[c] = dy[c] * scale[c]^(-beta)
//                   - (2 alpha beta / size) * x[c] * sum_{c' : c in window(c')} dy[c'] x[c'] scale[c']^(-beta-1)
// (AlexNet's paper writes alpha without the 1/size: configs/models/alexnet.yaml sets 0.0005.)
// scale^(-beta) is computed without powf per element: beta 0.75 (everyone's) as
// 1 / sqrt(s * sqrt(s)), beta 0.5 as 1 / sqrt(s), beta 1 as 1 / s, else exp(-beta * log s).
// Each output channel is one SIMD pass over its plane that reads the window's planes (the window
// sum in channel order, as a plain loop would add it: the same numbers, not a sliding sum).

import Core
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
    public func workspaceFloats(batch n: Int, inputGradient: Bool) -> Int { (n + 1) * inputShape.count }

    private var power: NegativePower { NegativePower(beta) }
    private var before: Int { size / 2 }          // channels before c in c's window
    private var after: Int { (size - 1) / 2 }     // channels after c

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        let c = inputShape.c, hw = inputShape.h * inputShape.w, a = alpha / Float(size), kk = k
        let a8 = SIMD8<Float>(repeating: a), k8 = SIMD8<Float>(repeating: kk)
        let s = scale.pointer, power = self.power
        for b in 0..<n {
            let xb = x + b * c * hw, sb = s + b * c * hw, yb = y + b * c * hw
            for ch in 0..<c {
                let lo = max(0, ch - before), hi = min(c - 1, ch + after)
                let sc = sb + ch * hw, xc = xb + ch * hw, yc = yb + ch * hw
                var i = 0
                while i &+ 8 <= hw {
                    var sum = SIMD8<Float>()
                    for j in lo...hi { let v = load8(xb + (j &* hw &+ i)); sum = sum + v * v }
                    let scale = k8 + a8 * sum
                    store8(scale, sc + i)
                    store8(power.apply(scale, load8(xc + i)), yc + i)
                    i &+= 8
                }
                while i < hw {
                    var sum: Float = 0
                    for j in lo...hi { let v = xb[j &* hw &+ i]; sum = sum + v * v }
                    sc[i] = kk + a * sum
                    yc[i] = power.apply(sc[i], xc[i])
                    i &+= 1
                }
            }
        }
    }

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        guard let dx else { return }
        let c = inputShape.c, hw = inputShape.h * inputShape.w
        let coef = 2 * alpha * beta / Float(size), coef8 = SIMD8<Float>(repeating: coef)
        let s = scale.pointer, power = self.power
        let r = ratio.reserve(inputShape.count)
        for b in 0..<n {
            let base = b * c * hw
            let xb = x + base, yb = y + base, db = dy + base, sb = s + base, dxb = dx + base
            // r[c'] = dy[c'] * x[c'] * scale[c']^(-beta-1) = dy[c'] * y[c'] / scale[c']
            for i in 0..<(c * hw) { r[i] = db[i] * yb[i] / sb[i] }
            // dx[c] = dy[c] * scale[c]^-beta - coef * x[c] * (r summed over the windows containing c),
            // subtracted window by window in channel order
            for ch in 0..<c {
                // channels c' whose window contains ch: c' - before <= ch <= c' + after
                let lo = max(0, ch - after), hi = min(c - 1, ch + before)
                let o = ch * hw
                var i = 0
                while i &+ 8 <= hw {
                    var t = power.apply(load8(sb + (o &+ i)), load8(db + (o &+ i)))
                    let cx = coef8 * load8(xb + (o &+ i))
                    for j in lo...hi { t = t - cx * load8(r + (j &* hw &+ i)) }
                    store8(t, dxb + (o &+ i))
                    i &+= 8
                }
                while i < hw {
                    var t = power.apply(sb[o &+ i], db[o &+ i])
                    let cx = coef * xb[o &+ i]
                    for j in lo...hi { t = t - cx * r[j &* hw &+ i] }
                    dxb[o &+ i] = t
                    i &+= 1
                }
            }
        }
    }
}

/// v * s^(-beta), with the common betas in closed form; a SIMD lane computes exactly what the
/// scalar form does (the same IEEE operations in the same order).
struct NegativePower {
    enum Kind { case threeQuarters, half, one, general }
    let kind: Kind, beta: Float
    init(_ beta: Float) {
        self.beta = beta
        kind = beta == 0.75 ? .threeQuarters : beta == 0.5 ? .half : beta == 1 ? .one : .general
    }
    @inline(__always)
    func apply(_ s: Float, _ v: Float) -> Float {
        switch kind {
        case .threeQuarters: return v / (s * s.squareRoot()).squareRoot()
        case .half: return v / s.squareRoot()
        case .one: return v / s
        case .general: return v * expf(-beta * logf(s))
        }
    }
    @inline(__always)
    func apply(_ s: SIMD8<Float>, _ v: SIMD8<Float>) -> SIMD8<Float> {
        switch kind {
        case .threeQuarters: return v / squareRoot8(s * squareRoot8(s))
        case .half: return v / squareRoot8(s)
        case .one: return v / s
        case .general:
            var out = SIMD8<Float>()
            for l in 0..<8 { out[l] = apply(s[l], v[l]) }
            return out
        }
    }
}
