// Local response normalisation across channels, exactly PyTorch's nn.LocalResponseNorm:
//   scale[c] = k + (alpha / size) * sum_{c' = c - size/2 ... c + (size-1)/2} x[c']^2
//   y[c]     = x[c] * scale[c]^(-beta)
// backward: dx[c] = dy[c] * scale[c]^(-beta)
//                   - (2 alpha beta / size) * x[c] * sum_{c' : c in window(c')} dy[c'] x[c'] scale[c']^(-beta-1)
// (AlexNet's paper writes alpha without the 1/size: configs/models/alexnet.yaml sets 0.0005.)

import Foundation

public final class LocalResponseNorm: Layer {
    public let name: String
    public let size: Int
    public let alpha: Float, beta: Float, k: Float
    public let inputShape: Shape
    public var outputShape: Shape { inputShape }
    private var scale = Workspace()        // (N, C, H, W), from forward

    public init(name: String, input: Shape, size: Int, alpha: Float, beta: Float, k: Float) {
        self.name = name; inputShape = input; self.size = size
        self.alpha = alpha; self.beta = beta; self.k = k
    }

    public func reserve(batch n: Int) { _ = scale.reserve(n * inputShape.count) }

    private var before: Int { size / 2 }          // channels before c in c's window
    private var after: Int { (size - 1) / 2 }     // channels after c

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch n: Int, context: PassContext) {
        let c = inputShape.c, hw = inputShape.h * inputShape.w, a = alpha / Float(size)
        let s = scale.pointer
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
                for i in 0..<hw {
                    sc[i] = k + a * sc[i]
                    yc[i] = xc[i] * powf(sc[i], -beta)
                }
            }
        }
    }

    public func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>?, batch n: Int) {
        guard let dx else { return }
        let c = inputShape.c, hw = inputShape.h * inputShape.w
        let coef = 2 * alpha * beta / Float(size)
        let s = scale.pointer
        for b in 0..<n {
            let base = b * c * hw
            let xb = x + base, yb = y + base, db = dy + base, sb = s + base, dxb = dx + base
            // dx[c] = dy[c] * scale[c]^-beta; then subtract coef * x[c] * sum over windows containing c
            for i in 0..<(c * hw) { dxb[i] = db[i] * powf(sb[i], -beta) }
            for ch in 0..<c {
                // channels c' whose window contains ch: c' - before <= ch <= c' + after
                let lo = max(0, ch - after), hi = min(c - 1, ch + before)
                let xc = xb + ch * hw, dxc = dxb + ch * hw
                for j in lo...hi {
                    let yj = yb + j * hw, dj = db + j * hw, sj = sb + j * hw
                    // dy[c'] * x[c'] * scale[c']^(-beta-1) = dy[c'] * y[c'] / scale[c']
                    for i in 0..<hw { dxc[i] -= coef * xc[i] * dj[i] * yj[i] / sj[i] }
                }
            }
        }
    }
}
