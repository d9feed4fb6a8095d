// Per-sample activation shape, C x H x W (NCHW without the batch). A flat vector of N features
// is [N, 1, 1] and prints as [-1, N].

import Core

public struct Shape: Equatable, CustomStringConvertible, Sendable {
    public var c: Int, h: Int, w: Int
    public var isFlat: Bool
    public init(_ c: Int, _ h: Int, _ w: Int) { self.c = c; self.h = h; self.w = w; isFlat = false }
    public init(flat n: Int) { c = n; h = 1; w = 1; isFlat = true }
    public var count: Int { c * h * w }
    /// torchsummary's notation: [-1, C, H, W] or [-1, N].
    public var description: String { isFlat ? "[-1, \(c)]" : "[-1, \(c), \(h), \(w)]" }
    public var dims: [Int] { isFlat ? [c] : [c, h, w] }
}

/// floor((n + 2p - f) / s) + 1, the output size of a convolution or pooling window. With `ceil`
/// (PyTorch's ceil_mode) ceil((n + 2p - f) / s) + 1, less one when the last window would start
/// past the input and its left padding ((out - 1) s >= n + p): every window keeps an input cell.
public func windowOutputSize(_ n: Int, kernel f: Int, stride s: Int, pad p: Int, ceil: Bool = false) -> Int {
    let span = n + 2 * p - f
    guard span >= 0 else { return 0 }
    guard ceil else { return span / s + 1 }
    var out = (span + s - 1) / s + 1
    if (out - 1) * s >= n + p { out -= 1 }
    return out
}
