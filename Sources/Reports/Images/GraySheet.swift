// Grey images tiled into one picture (a contact sheet) for PNG output, where there is no text:
// each group of images (one layer's channels) starts a new row of at most `columns` cells; every
// cell is `cell` x `cell` px and holds one image enlarged by the largest whole factor that fits (at
// least 1), at the cell's top left. An image wider than a cell (a linear layer's 1 x N strip) takes
// a row of its own, as wide as the sheet, and is cut at its right edge if even that is too narrow;
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
            for image in group {
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
}
