// One digit found on a page: where it is, which row it belongs to, and its ink.

public struct DigitRegion: Sendable {
    /// The digit's tight box in the input image's coordinates.
    public var box: PixelBox
    /// 0-based row index, rows top to bottom.
    public var row: Int
    /// The crop of `box`: ink intensity 0...1 on this digit's pixels, 0 elsewhere (pixels of other
    /// digits inside the box are 0). Ready for `MNISTStyle.fit(ink:)`.
    public var ink: GrayscaleImage

    public init(box: PixelBox, row: Int, ink: GrayscaleImage) {
        self.box = box
        self.row = row
        self.ink = ink
    }
}
