// Colours: a categorical palette for series (Tableau 10, distinguishable and print-safe), dash
// patterns for a second grouping, and linear ramps for heatmaps.

import Core
import Foundation

public enum Palette {
    public static let categorical = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    ]

    /// Dash patterns in the order they are handed out (nil is solid).
    public static let dashes: [String?] = [nil, "6 3", "2 2", "8 3 2 3"]

    public static func color(_ i: Int) -> String { categorical[((i % categorical.count) + categorical.count) % categorical.count] }
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
