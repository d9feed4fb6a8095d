// Grey-level morphology on GrayscaleImage: the maximum or minimum over a square window, separable
// and O(1) per pixel whatever the window (van Herk / Gil-Werman), for the large window of page
// illumination; and erosion or dilation by an octagon (r steps of 3x3, square and cross in turn,
// close to a disc of radius r), for changing a digit's stroke width. The image edge clips every
// window; sizes never change.

extension GrayscaleImage {
    /// Each pixel becomes the maximum over the (2r+1) x (2r+1) square centred on it.
    func squareMaximum(radius r: Int) -> GrayscaleImage { squareFilter(radius: r, WindowMaximum.self) }

    /// Each pixel becomes the minimum over the (2r+1) x (2r+1) square centred on it.
    func squareMinimum(radius r: Int) -> GrayscaleImage { squareFilter(radius: r, WindowMinimum.self) }

    /// Grey dilation (maximum) over an octagon of radius `r`.
    func dilated(octagonRadius r: Int) -> GrayscaleImage { octagonFilter(radius: r, WindowMaximum.self) }

    /// Grey erosion (minimum) over an octagon of radius `r`.
    func eroded(octagonRadius r: Int) -> GrayscaleImage { octagonFilter(radius: r, WindowMinimum.self) }

    /// `r` 3x3 steps: the square (separable) on even steps, the cross on odd ones.
    private func octagonFilter<E: WindowExtreme>(radius r: Int, _: E.Type) -> GrayscaleImage {
        guard r > 0, width > 0, height > 0 else { return self }
        let w = width, h = height
        var image = pixels, across = pixels, next = pixels
        for step in 0..<r {
            let square = step % 2 == 0
            image.withUnsafeBufferPointer { p in
                across.withUnsafeMutableBufferPointer { a in
                    next.withUnsafeMutableBufferPointer { n in
                        for y in 0..<h {                    // a = the 1x3 extreme along each row
                            let row = y * w
                            for x in 0..<w {
                                a[row + x] = E.pick(p[row + max(x - 1, 0)], E.pick(p[row + x], p[row + min(x + 1, w - 1)]))
                            }
                        }
                        for y in 0..<h {                    // then with the rows above and below
                            let up = max(y - 1, 0) * w, row = y * w, down = min(y + 1, h - 1) * w
                            for x in 0..<w {
                                let vertical = square ? E.pick(a[up + x], a[down + x]) : E.pick(p[up + x], p[down + x])
                                n[row + x] = E.pick(a[row + x], vertical)
                            }
                        }
                    }
                }
            }
            swap(&image, &next)
        }
        return GrayscaleImage(width: w, height: h, pixels: image)
    }

    /// Rows, then columns (in strips of columns, each row of a strip one vector step).
    private func squareFilter<E: WindowExtreme>(radius r: Int, _: E.Type) -> GrayscaleImage {
        guard r > 0, width > 0, height > 0 else { return self }
        var out = self
        out.pixels.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            var line = VanHerkScratch(lines: 1, length: width, radius: r)
            for y in 0..<height { line.filter(base + y * width, rowStride: 0, columns: 1, count: width, stride: 1, E.self) }
            let strip = min(width, 256)
            var columns = VanHerkScratch(lines: strip, length: height, radius: r)
            var x = 0
            while x < width {
                columns.filter(base + x, rowStride: 1, columns: min(strip, width - x), count: height, stride: width, E.self)
                x += strip
            }
        }
        return out
    }
}

/// Maximum or minimum, chosen at compile time so the filter loops specialise.
protocol WindowExtreme {
    static var identity: Float { get }
    static func pick(_ a: Float, _ b: Float) -> Float
}
enum WindowMaximum: WindowExtreme {
    static var identity: Float { -.infinity }
    @inline(__always) static func pick(_ a: Float, _ b: Float) -> Float { max(a, b) }
}
enum WindowMinimum: WindowExtreme {
    static var identity: Float { .infinity }
    @inline(__always) static func pick(_ a: Float, _ b: Float) -> Float { min(a, b) }
}

/// The running extreme over windows of k = 2r+1 samples (van Herk / Gil-Werman): the line,
/// padded by r identity samples at each end, is cut into blocks of k; a window spans at most two
/// blocks, so its extreme is the suffix extreme of one block and the prefix extreme of the next,
/// O(1) per sample whatever r is. It filters `columns` parallel lines at once (a strip of image
/// columns, one row of the strip per step) so the inner loops run over contiguous memory.
struct VanHerkScratch {
    let radius: Int, lines: Int
    private var prefix, suffix: [Float]            // (length + 2r, lines)

    init(lines: Int, length: Int, radius: Int) {
        self.radius = radius
        self.lines = lines
        prefix = [Float](repeating: 0, count: (length + 2 * radius) * lines)
        suffix = prefix
    }

    /// Filters, in place, `columns` (<= lines) lines of `count` samples: sample i of line c is
    /// data[i * stride + c * rowStride] (a row is one line with rowStride 0 and stride 1; a strip of
    /// columns has rowStride 1 and stride = the image width).
    mutating func filter<E: WindowExtreme>(_ data: UnsafeMutablePointer<Float>, rowStride: Int, columns: Int,
                                     count: Int, stride: Int, _: E.Type) {
        let r = radius, k = 2 * r + 1, n = count + 2 * r, m = lines
        precondition(columns <= m && (count + 2 * r) * m <= prefix.count, "van Herk scratch too small")
        prefix.withUnsafeMutableBufferPointer { g in
            suffix.withUnsafeMutableBufferPointer { h in
                let g = g.baseAddress!, h = h.baseAddress!
                // Padded sample j of every line: line c's value at data[(j - r) * stride + c * rowStride], or the identity.
                @inline(__always) func load(_ j: Int, into row: UnsafeMutablePointer<Float>, combining other: UnsafePointer<Float>?) {
                    let i = j - r
                    if i >= 0 && i < count {
                        let src = data + i * stride
                        if let other {
                            for c in 0..<columns { row[c] = E.pick(other[c], src[c * rowStride]) }
                        } else {
                            for c in 0..<columns { row[c] = src[c * rowStride] }
                        }
                    } else if let other {
                        for c in 0..<columns { row[c] = other[c] }
                    } else {
                        for c in 0..<columns { row[c] = E.identity }
                    }
                }
                for j in 0..<n {
                    let row = g + j * m
                    load(j, into: row, combining: j % k == 0 ? nil : UnsafePointer(row - m))
                }
                var j = n - 1
                while j >= 0 {
                    let row = h + j * m
                    load(j, into: row, combining: (j + 1) % k == 0 || j == n - 1 ? nil : UnsafePointer(row + m))
                    j -= 1
                }
                for i in 0..<count {
                    let early = h + i * m, late = g + (i + k - 1) * m, dst = data + i * stride
                    for c in 0..<columns { dst[c * rowStride] = E.pick(early[c], late[c]) }
                }
            }
        }
    }
}
