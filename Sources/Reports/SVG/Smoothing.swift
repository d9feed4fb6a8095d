// Series preparation for plotting: exponential moving average (debiased, as TensorBoard's
// smoothing slider) that skips missing points, and min/max decimation that keeps the envelope
// of a long noisy series while bounding the number of points drawn.

import Core
import Foundation

public enum Smoothing {
    /// EMA with weight `weight` on the past: s_t = w s_{t-1} + (1-w) y_t, divided by 1 - w^n so
    /// the first points are not pulled towards zero. Non-finite inputs stay NaN and are skipped.
    public static func ema(_ y: [Double], weight: Double) -> [Double] {
        let w = max(0, min(weight, 0.9999))
        var s = 0.0, n = 0.0
        return y.map { v in
            guard v.isFinite else { return .nan }
            s = w * s + (1 - w) * v
            n += 1
            return s / (1 - pow(w, n))
        }
    }

    /// A weight giving a time constant of about 1/60 of the series (0.6...0.995).
    public static func suggestedWeight(count: Int) -> Double {
        max(0.6, min(0.995, 1 - 60 / Double(max(count, 1))))
    }

    /// At most about `maxPoints` of the (x, y) pairs: the series cut into buckets, each kept as
    /// its lowest and highest point in x order. NaN points survive as gaps only where a bucket
    /// is all NaN. Shorter series come back unchanged.
    static func decimate(x: [Double], y: [Double], maxPoints: Int) -> (x: [Double], y: [Double]) {
        let n = min(x.count, y.count)
        guard n > maxPoints, maxPoints >= 4 else { return (Array(x.prefix(n)), Array(y.prefix(n))) }
        let buckets = maxPoints / 2
        var ox: [Double] = [], oy: [Double] = []
        ox.reserveCapacity(maxPoints); oy.reserveCapacity(maxPoints)
        for b in 0..<buckets {
            let lo = b * n / buckets, hi = (b + 1) * n / buckets
            guard lo < hi else { continue }
            var iMin = -1, iMax = -1
            for i in lo..<hi where y[i].isFinite {
                if iMin < 0 || y[i] < y[iMin] { iMin = i }
                if iMax < 0 || y[i] > y[iMax] { iMax = i }
            }
            if iMin < 0 { ox.append(x[lo]); oy.append(.nan); continue }
            for i in Set([iMin, iMax]).sorted() { ox.append(x[i]); oy.append(y[i]) }
        }
        return (ox, oy)
    }
}
