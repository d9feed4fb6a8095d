// Colours: a categorical palette for series (Tableau 10, distinguishable and print-safe; variant i
// is color(i) in every figure), a second one for the phases of a step or an epoch (ColorBrewer
// Dark2: the wall-time bar's parts and the timeline's phases, so that "compute" is never taken for
// variant 0), dash patterns for a second grouping, and linear ramps for heatmaps.

import Core
import Foundation

public enum Palette {
    public static let categorical = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    ]

    /// Phases (compute, exchange, waiting, ...): ColorBrewer Dark2, none of them in `categorical`.
    public static let phases = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]

    /// Dash patterns in the order they are handed out (nil is solid).
    public static let dashes: [String?] = [nil, "6 3", "2 2", "8 3 2 3"]

    public static func color(_ i: Int) -> String { categorical[((i % categorical.count) + categorical.count) % categorical.count] }
    public static func phase(_ i: Int) -> String { phases[((i % phases.count) + phases.count) % phases.count] }
    public static func dash(_ i: Int) -> String? { dashes[((i % dashes.count) + dashes.count) % dashes.count] }

    /// The colour at `t` in 0...1 along a ramp from white to `to` (an "#rrggbb" string).
    static func ramp(_ t: Double, to: (Double, Double, Double)) -> String {
        let u = max(0, min(1, t.isFinite ? t : 0))
        let r = 255 + (to.0 - 255) * u, g = 255 + (to.1 - 255) * u, b = 255 + (to.2 - 255) * u
        return String(format: "#%02x%02x%02x", Int(r.rounded()), Int(g.rounded()), Int(b.rounded()))
    }

    static let blue = (33.0, 102.0, 172.0)
    static let orange = (214.0, 96.0, 39.0)
}
