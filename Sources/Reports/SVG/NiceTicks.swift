// Axis tick values a person would choose: steps of 1, 2 or 5 times a power of ten covering the
// data range, powers of ten (with 2 and 5 between when the span is short) on a log axis, and the
// tick labels with just enough decimals for the step.

import Core
import Foundation

public enum NiceTicks {
    /// The smallest step of the form {1, 2, 5} x 10^k that covers `span` in at most `target` steps.
    public static func step(span: Double, target: Int = 6) -> Double {
        guard span.isFinite, span > 0 else { return 1 }
        let raw = span / Double(max(target, 1))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * magnitude >= raw * (1 - 1e-9) { return m * magnitude }
        return 10 * magnitude
    }

    /// Ticks k*step from the last one at or below `lo` to the first at or above `hi`, so the
    /// first and last tick bound the data. A degenerate range is widened around its value;
    /// `integers` keeps the step at 1 or more (epochs, counts).
    public static func linear(lo: Double, hi: Double, target: Int = 6, integers: Bool = false) -> [Double] {
        var (a, b) = (min(lo, hi), max(lo, hi))
        if !a.isFinite || !b.isFinite { (a, b) = (0, 1) }
        if a == b {
            let pad = a == 0 ? 1 : abs(a) * 0.1
            (a, b) = integers ? (a - 1, b + 1) : (a - pad, b + pad)
        }
        var s = step(span: b - a, target: target)
        if integers { s = max(s, 1) }
        let first = (a / s + 1e-9).rounded(.down), last = (b / s - 1e-9).rounded(.up)
        return stride(from: first, through: last, by: 1).map { clean($0 * s, step: s) }
    }

    /// Log-axis ticks for positive `lo`...`hi`: every power of ten from below `lo` to above `hi`,
    /// plus 2x and 5x when the range spans fewer than three decades (then trimmed to one tick
    /// beyond the data on each side). Always at least two ticks.
    public static func log(lo: Double, hi: Double) -> [Double] {
        var (a, b) = (min(lo, hi), max(lo, hi))
        if !(a > 0) || !b.isFinite { (a, b) = (1, 10) }
        var d0 = log10(a).rounded(.down), d1 = log10(b).rounded(.up)
        if d0 == d1 { d0 -= 1; d1 += 1 }
        let fine = d1 - d0 < 3
        var ticks: [Double] = []
        for d in stride(from: d0, through: d1, by: 1) {
            let p = pow(10, d)
            ticks.append(p)
            if fine, d < d1 { ticks += [2 * p, 5 * p] }
        }
        // Trim the fine ticks that lie beyond the data, keeping one tick on each side of it.
        if fine {
            var lower = ticks.lastIndex { $0 <= a } ?? 0
            var upper = ticks.firstIndex { $0 >= b } ?? ticks.count - 1
            if lower == upper { lower = max(0, lower - 1); upper = min(ticks.count - 1, upper + 1) }
            ticks = Array(ticks[lower...upper])
        }
        return ticks
    }

    /// The label of `value` on an axis whose ticks are `step` apart.
    public static func label(_ value: Double, step: Double) -> String {
        let decimals = step > 0 && step.isFinite ? max(0, min(8, Int((-log10(step) - 1e-9).rounded(.up)))) : 2
        let s = String(format: "%.\(decimals)f", value)
        return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
    }

    /// The label of a log-axis tick: plain decimals from 0.001 to 99999, else "1e-05" style.
    public static func logLabel(_ value: Double) -> String {
        if value >= 1e-3, value < 1e5 {
            let decimals = max(0, Int((-log10(value) - 1e-9).rounded(.up)))
            return String(format: "%.\(decimals)f", value)
        }
        return String(format: "%.0e", value)
    }

    /// `v` with the float noise of k*step removed (0.30000000000000004 -> 0.3).
    private static func clean(_ v: Double, step: Double) -> Double {
        let decimals = max(0, Int((-log10(step)).rounded(.up)) + 1)
        let scale = pow(10, Double(min(decimals, 15)))
        let r = (v * scale).rounded() / scale
        return r == 0 ? 0 : r
    }
}
