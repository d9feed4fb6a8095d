// Reads the run config's `data.augment` map (DESIGN.md "Run config") into an Augmentation:
// {shift: px, rotate: degrees, scale: [lo, hi], shear: degrees, stroke: px or [lo, hi],
// crop: {pad}, flip: bool, break: probability}; every key optional. Each value is range-checked here: a value out of
// range or an unknown key is an InputError naming the key (exit 2). The bounds keep the work per
// image bounded (stroke: one 3x3 pass per whole px) and the warp invertible (scale > 0, |shear| < 90°).

import Core
import NN
import Datasets

extension RunConfig {
    static let maxShift = 1024.0, maxScale = 10.0, maxShear = 60.0, maxStroke = 8.0, maxCropPad = 1024

    static func parseAugmentation(_ c: ConfigCursor) throws -> Augmentation {
        let m = try c.map(allowed: augmentKeys)
        var a = Augmentation()
        if let v = m["shift"] { a.shift = try number(v, in: 0...maxShift, "a shift in px from 0 to \(Int(maxShift))") }
        if let v = m["rotate"] { a.rotate = try number(v, in: 0...180, "a rotation in degrees from 0 to 180") }
        if let v = m["scale"] { a.scale = try range(v, in: 0...maxScale, lowerExcluded: true, "scale factors") }
        if let v = m["shear"] {
            a.shear = try number(v, in: 0...maxShear, "a shear angle in degrees from 0 to \(Int(maxShear))")
        }
        if let v = m["stroke"] {
            if case .list = v.value {
                a.stroke = try range(v, in: -maxStroke...maxStroke, lowerExcluded: false, "stroke-width changes in px")
            } else {
                let s = try number(v, in: 0...maxStroke, "a stroke-width change in px from 0 to \(Int(maxStroke)), or [lo, hi]")
                a.stroke = -s...s
            }
        }
        if let v = m["crop"] {
            let cm = try v.map(allowed: cropKeys)
            let pad = try cm.required("pad")
            a.cropPad = try pad.nonNegativeInt()
            guard a.cropPad <= maxCropPad else { throw pad.fail("a padding in px from 0 to \(maxCropPad)") }
        }
        if let v = m["flip"] { a.flip = try v.bool() }
        if let v = m["break"] { a.strokeBreak = try number(v, in: 0...1, "a probability from 0 to 1") }
        return a
    }

    /// A number within `bounds`.
    private static func number(_ c: ConfigCursor, in bounds: ClosedRange<Double>, _ expected: String) throws -> Double {
        let v = try c.double()
        guard bounds.contains(v) else { throw c.fail(expected) }
        return v
    }

    /// A list [lo, hi] with lo <= hi, both within `bounds` (lo above its lower end when `lowerExcluded`).
    private static func range(_ c: ConfigCursor, in bounds: ClosedRange<Double>, lowerExcluded: Bool,
                              _ what: String) throws -> ClosedRange<Double> {
        let items = try c.list()
        guard items.count == 2 else { throw c.fail("a list [lo, hi] of two \(what)") }
        let lowest = lowerExcluded ? "above \(bounds.lowerBound)" : "from \(bounds.lowerBound)"
        let lo = try items[0].double(), hi = try items[1].double()
        guard bounds.contains(lo), !lowerExcluded || lo > bounds.lowerBound else {
            throw items[0].fail("lo: \(what) \(lowest) to \(bounds.upperBound)")
        }
        guard hi >= lo, hi <= bounds.upperBound else { throw items[1].fail("hi: at least lo (\(lo)) and at most \(bounds.upperBound)") }
        return lo...hi
    }
}
