// Grey images tiled into one picture (a contact sheet) for PNG output, where there is no text:
// each group of images (one layer's channels) starts a new row of at most `columns` cells; every
// cell is `cell` x `cell` px and holds one image enlarged by the largest whole factor that fits (at
// least 1), at the cell's top left; an image larger than a cell (AlexNet's 227 px input, a 55 px
// map) is first shrunk by the smallest whole factor that fits, averaging each f x f block. A strip
// one pixel high (a linear layer's 1 x N) that is wider than a cell takes a row of its own, as
// wide as the sheet, and is cut at its right edge if even that is too narrow;
// a strip 1 px high is drawn `stripHeight` px high, on a row only that high.
// Cells and rows are `gap` px apart on a white background; the sheet is
// columns x (cell + gap) + gap px wide and as high as its rows.

public enum GraySheet {
    /// How high a 1-pixel-high strip is drawn, so it stays visible.
    public static let stripHeight = 16

    /// The sheet of `groups`; nil when there is no image at all.
    public static func tile(_ groups: [[GrayImage]], columns: Int = 8, cell: Int = 56, gap: Int = 4) -> GrayImage? {
        let columns = max(1, columns), cell = max(1, cell), gap = max(0, gap)
        let width = columns * (cell + gap) + gap, rowWidth = width - 2 * gap
        // (image, column, top edge, room for its width) of every placement; a strip's row is only
        // as high as the strip is drawn
        var places: [(image: GrayImage, column: Int, top: Int, room: Int)] = []
        var top = gap
        for group in groups where !group.isEmpty {
            var column = 0
            for original in group {
                let image = original.height > 1 ? shrunk(original, toFit: cell) : original
                if image.width > cell {
                    if column > 0 { top += cell + gap }
                    places.append((image, 0, top, rowWidth))
                    top += (image.height == 1 ? min(cell, stripHeight) : cell) + gap
                    column = 0
                    continue
                }
                places.append((image, column, top, cell))
                column += 1
                if column == columns { top += cell + gap; column = 0 }
            }
            if column > 0 { top += cell + gap }
        }
        guard !places.isEmpty else { return nil }
        let height = top
        var pixels = [UInt8](repeating: 255, count: width * height)
        for p in places {
            let x0 = gap + p.column * (cell + gap), y0 = p.top
            let fx = max(1, min(p.room / max(p.image.width, 1), cell / max(p.image.height, 1)))
            let fy = p.image.height == 1 ? min(cell, stripHeight) : fx
            for y in 0..<min(p.image.height * fy, cell) {
                for x in 0..<min(p.image.width * fx, p.room) {
                    pixels[(y0 + y) * width + x0 + x] = p.image.pixels[(y / fy) * p.image.width + x / fx]
                }
            }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    /// `image` shrunk by f = ceil(max(width, height) / side) when it is larger than `side`: each
    /// output pixel is the mean of an f x f block (clipped at the edges).
    public static func shrunk(_ image: GrayImage, toFit side: Int) -> GrayImage {
        let f = (max(image.width, image.height) + side - 1) / side
        guard f > 1 else { return image }
        let w = (image.width + f - 1) / f, h = (image.height + f - 1) / f
        var pixels = [UInt8](repeating: 0, count: w * h)
        for y in 0 ..< h {
            for x in 0 ..< w {
                var sum = 0, n = 0
                for yy in y * f ..< min((y + 1) * f, image.height) {
                    for xx in x * f ..< min((x + 1) * f, image.width) { sum += Int(image.pixels[yy * image.width + xx]); n += 1 }
                }
                pixels[y * w + x] = UInt8((sum + n / 2) / n)
            }
        }
        return GrayImage(width: w, height: h, pixels: pixels)
    }
}
