// Which lines of a chart hide each other. Two series coincide when they are drawn at the same x
// values, miss the same points, and at every drawn point their y positions differ by at most
// `tolerance` pixels (half a pixel by default: closer than the screen can show). Coinciding is
// made transitive (a chain of pairs is one group), so a chart can name every line under another:
// "zeros, normal-0.01, alexnet, bias-minus-10 coincide".

import Foundation

public enum Coincidence {
    public static let tolerance = 0.5

    /// Groups (two or more members, indices ascending, groups ordered by first member) of the
    /// series that coincide. `y` holds each series' pixel y per point, nil where not drawn; a
    /// series with no drawn point is in no group.
    public static func groups(x: [[Double]], y: [[Double?]], tolerance: Double = Self.tolerance) -> [[Int]] {
        let n = min(x.count, y.count)
        var parent = Array(0..<n)
        func root(_ i: Int) -> Int { var i = i; while parent[i] != i { i = parent[i] }; return i }
        for a in 0..<n where y[a].contains(where: { $0 != nil }) {
            for b in (a + 1)..<max(a + 1, n) where x[a] == x[b] && y[a].count == y[b].count {
                let same = zip(y[a], y[b]).allSatisfy { p, q in
                    switch (p, q) {
                    case (nil, nil): return true
                    case let (p?, q?): return abs(p - q) <= tolerance
                    default: return false
                    }
                }
                if same { parent[root(b)] = root(a) }
            }
        }
        var byRoot: [Int: [Int]] = [:]
        for i in 0..<n { byRoot[root(i), default: []].append(i) }
        return byRoot.values.filter { $0.count > 1 }.sorted { $0[0] < $1[0] }
    }

    /// The sentence a chart prints for one group: "a, b, c coincide".
    public static func sentence(_ names: [String]) -> String { names.joined(separator: ", ") + " coincide" }
}
