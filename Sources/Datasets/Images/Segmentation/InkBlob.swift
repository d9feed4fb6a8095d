// A set of ink pixels kept as horizontal runs: one connected component of the ink mask, several
// merged (a digit broken into strokes), or part of one cut along a path (touching digits).
// Invariants: every run is non-empty; `box` is the tight box of the runs and `area` their pixel count.

struct InkRun {
    var y: Int
    var x0: Int, x1: Int          // columns x0..<x1
}

struct InkBlob {
    private(set) var runs: [InkRun]
    private(set) var box: PixelBox
    private(set) var area: Int

    /// nil when `runs` holds no pixel.
    init?(runs: [InkRun]) {
        let kept = runs.filter { $0.x1 > $0.x0 }
        guard let first = kept.first else { return nil }
        var x0 = first.x0, x1 = first.x1, y0 = first.y, y1 = first.y
        var area = 0
        for run in kept {
            x0 = min(x0, run.x0); x1 = max(x1, run.x1)
            y0 = min(y0, run.y); y1 = max(y1, run.y)
            area += run.x1 - run.x0
        }
        self.runs = kept
        self.box = PixelBox(x: x0, y: y0, width: x1 - x0, height: y1 - y0 + 1)
        self.area = area
    }

    /// Adds another blob's pixels to this one.
    mutating func absorb(_ other: InkBlob) {
        runs += other.runs
        box = box.union(other.box)
        area += other.area
    }

    /// The blob as a mask over its box: (box.height, box.width), 1 on its pixels.
    func mask() -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: box.width * box.height)
        for run in runs {
            let row = (run.y - box.y) * box.width - box.x
            for x in run.x0..<run.x1 { mask[row + x] = 1 }
        }
        return mask
    }

    /// Twice the area over the outline: the mean stroke width in pixels (a stroke of width s and
    /// length L has area s * L and an outline 2 * L long). The outline counts the pixels with a
    /// 4-neighbour outside the blob.
    func strokeWidth() -> Double {
        let m = mask(), w = box.width, h = box.height
        var outline = 0
        for y in 0..<h {
            for x in 0..<w where m[y * w + x] != 0 {
                if x == 0 || y == 0 || x == w - 1 || y == h - 1 || m[y * w + x - 1] == 0 || m[y * w + x + 1] == 0
                    || m[(y - 1) * w + x] == 0 || m[(y + 1) * w + x] == 0 {
                    outline += 1
                }
            }
        }
        return outline == 0 ? 0 : 2 * Double(area) / Double(outline)
    }

    /// The pixels left of a cut and those right of it; `cut[r]` is the first column (in page
    /// coordinates) of the right side in row box.y + r. nil for a side without pixels.
    func split(along cut: [Int]) -> (left: InkBlob?, right: InkBlob?) {
        var left: [InkRun] = [], right: [InkRun] = []
        for run in runs {
            let x = cut[run.y - box.y]
            if run.x0 < x { left.append(InkRun(y: run.y, x0: run.x0, x1: min(run.x1, x))) }
            if run.x1 > x { right.append(InkRun(y: run.y, x0: max(run.x0, x), x1: run.x1)) }
        }
        return (InkBlob(runs: left), InkBlob(runs: right))
    }

    /// The crop of `box` from `values` (a page `pageWidth` wide): each of this blob's pixels keeps
    /// its value mapped through `transform`, every other pixel is 0.
    func crop(_ values: UnsafeBufferPointer<Float>, pageWidth: Int, transform: (Float) -> Float) -> GrayscaleImage {
        var out = GrayscaleImage(width: box.width, height: box.height, filledWith: 0)
        out.pixels.withUnsafeMutableBufferPointer { dst in
            for run in runs {
                let row = (run.y - box.y) * box.width - box.x, src = run.y * pageWidth
                for x in run.x0..<run.x1 { dst[row + x] = transform(values[src + x]) }
            }
        }
        return out
    }
}
