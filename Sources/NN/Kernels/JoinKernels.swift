// The block joins' passes (Network.forwardJoin / backwardJoin), fused and SIMD:
//   residual forward   y_b = a_b + s_b, or max(a_b + s_b, 0) with the following ReLU fused in
//   residual backward  da_b = ds_b = dy_b, masked by y_b > 0 when the ReLU is fused; each written
//                      or added (a fan-out input whose delta another consumer wrote first)
//   concat copy        a path end that cannot write strided is copied into its channel slice
// a, s and every dx are contiguous (N, count); y and dy are sample b at y + b * stride (a slice of a
// concatenation when the residual ends a branch path).

import Core

func addSamples(_ a: UnsafePointer<Float>, _ s: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                count: Int, stride: Int, batch n: Int, relu: Bool) {
    let zero = SIMD8<Float>()
    for b in 0..<n {
        let pa = a + b * count, ps = s + b * count, py = y + b * stride
        var i = 0
        if relu {
            while i &+ 8 <= count { store8(pointwiseMax(load8(pa + i) + load8(ps + i), zero), py + i); i &+= 8 }
            while i < count { py[i] = max(pa[i] + ps[i], 0); i &+= 1 }
        } else {
            while i &+ 8 <= count { store8(load8(pa + i) + load8(ps + i), py + i); i &+= 8 }
            while i < count { py[i] = pa[i] + ps[i]; i &+= 1 }
        }
    }
}

/// dx (contiguous) = or += dy (strided), keeping dy only where mask > 0 when a mask (the fused
/// ReLU's output, strided like dy) is given.
func addGradient(_ dy: UnsafePointer<Float>, stride: Int, mask: UnsafePointer<Float>?, into dx: UnsafeMutablePointer<Float>,
                 count: Int, batch n: Int, accumulate: Bool) {
    let zero = SIMD8<Float>()
    for b in 0..<n {
        let pdy = dy + b * stride, pdx = dx + b * count
        var i = 0
        if let mask {
            let pm = mask + b * stride
            while i &+ 8 <= count {
                var g = load8(pdy + i)
                g.replace(with: zero, where: load8(pm + i) .<= zero)
                store8(accumulate ? load8(pdx + i) + g : g, pdx + i)
                i &+= 8
            }
            while i < count { let g = pm[i] > 0 ? pdy[i] : 0; pdx[i] = accumulate ? pdx[i] + g : g; i &+= 1 }
        } else if accumulate {
            while i &+ 8 <= count { store8(load8(pdx + i) + load8(pdy + i), pdx + i); i &+= 8 }
            while i < count { pdx[i] += pdy[i]; i &+= 1 }
        } else {
            pdx.update(from: pdy, count: count)
        }
    }
}

/// y[b] (stride ys) = x[b] (stride xs), `count` floats per sample.
func copySamples(_ x: UnsafePointer<Float>, stride xs: Int, into y: UnsafeMutablePointer<Float>, stride ys: Int, count: Int, batch n: Int) {
    for b in 0..<n { (y + b * ys).update(from: x + b * xs, count: count) }
}

/// y += x over `count` contiguous floats (a fan-out consumer's dx into the shared delta).
func addInPlace(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i &+ 8 <= count { store8(load8(y + i) + load8(x + i), y + i); i &+= 8 }
    while i < count { y[i] += x[i]; i &+= 1 }
}
