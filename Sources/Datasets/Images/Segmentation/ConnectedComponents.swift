// 8-connected components of a binary mask, by runs: each row's runs of set pixels are joined
// (union-find) with the runs of the row above that touch them, diagonals included. The work is
// one scan of the mask plus a little per run, so a 3-megapixel page labels in milliseconds.

enum ConnectedComponents {
    /// The components of `mask` (width x height, non-zero = set), in order of their first run.
    static func blobs(mask: UnsafeBufferPointer<UInt8>, width: Int, height: Int) -> [InkBlob] {
        precondition(mask.count == width * height, "mask of \(mask.count) for \(width)x\(height)")
        var runs: [InkRun] = []
        var parent: [Int] = []
        var previousRow = 0..<0                                  // indices in `runs` of the row above
        for y in 0..<height {
            let rowStart = runs.count
            let row = mask.baseAddress! + y * width
            var x = 0
            while x < width {
                guard row[x] != 0 else { x += 1; continue }
                let start = x
                while x < width && row[x] != 0 { x += 1 }
                runs.append(InkRun(y: y, x0: start, x1: x))
                parent.append(runs.count - 1)
            }
            // Join with touching runs above: [a0, a1) and [b0, b1) are 8-adjacent when max(a0, b0) <= min(a1, b1).
            var above = previousRow.lowerBound
            for i in rowStart..<runs.count {
                let run = runs[i]
                while above < previousRow.upperBound && runs[above].x1 < run.x0 { above += 1 }
                var j = above
                while j < previousRow.upperBound && runs[j].x0 <= run.x1 {
                    union(i, j, &parent)
                    j += 1
                }
            }
            previousRow = rowStart..<runs.count
        }
        var slot = [Int](repeating: -1, count: runs.count)   // root run -> index of its component
        var members: [[InkRun]] = []
        for i in runs.indices {
            let root = find(i, &parent)
            if slot[root] < 0 { slot[root] = members.count; members.append([]) }
            members[slot[root]].append(runs[i])
        }
        return members.compactMap { InkBlob(runs: $0) }
    }

    private static func find(_ i: Int, _ parent: inout [Int]) -> Int {
        var root = i
        while parent[root] != root { root = parent[root] }
        var j = i
        while parent[j] != root { let next = parent[j]; parent[j] = root; j = next }
        return root
    }

    private static func union(_ a: Int, _ b: Int, _ parent: inout [Int]) {
        let ra = find(a, &parent), rb = find(b, &parent)
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }
}
