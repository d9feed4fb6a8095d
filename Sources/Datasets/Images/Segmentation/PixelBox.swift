// An axis-aligned box of whole pixels: x, y of the top-left pixel, width and height in pixels.
// The box covers columns x..<x+width and rows y..<y+height.

public struct PixelBox: Equatable, Sendable {
    public var x, y, width, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// One past the last column and row.
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var centreX: Double { Double(x) + Double(width) / 2 }
    public var centreY: Double { Double(y) + Double(height) / 2 }

    /// The smallest box holding both.
    public func union(_ other: PixelBox) -> PixelBox {
        let x0 = min(x, other.x), y0 = min(y, other.y)
        return PixelBox(x: x0, y: y0, width: max(maxX, other.maxX) - x0, height: max(maxY, other.maxY) - y0)
    }

    /// Columns both boxes cover (negative: the gap between them).
    func horizontalOverlap(_ other: PixelBox) -> Int { min(maxX, other.maxX) - max(x, other.x) }
    /// Rows both boxes cover (negative: the gap between them).
    func verticalOverlap(_ other: PixelBox) -> Int { min(maxY, other.maxY) - max(y, other.y) }
}
