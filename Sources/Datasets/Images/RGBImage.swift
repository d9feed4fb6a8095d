// A colour image as three GrayscaleImage planes R, G, B of one size, each row-major (height,
// width) with 0 black and 1 full intensity, the samples as the file stores them (sRGB-encoded, no
// colour management). ImageDecoder.decodeRGB produces it; grey files give three equal planes.

public struct RGBImage: Equatable, Sendable {
    public let red: GrayscaleImage
    public let green: GrayscaleImage
    public let blue: GrayscaleImage

    public init(red: GrayscaleImage, green: GrayscaleImage, blue: GrayscaleImage) {
        precondition(red.width == green.width && red.width == blue.width && red.height == green.height
                     && red.height == blue.height, "RGBImage: planes of different sizes")
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// The grey image as three equal planes.
    public init(grey: GrayscaleImage) { self.init(red: grey, green: grey, blue: grey) }

    public var width: Int { red.width }
    public var height: Int { red.height }
    /// R, G, B.
    public var planes: [GrayscaleImage] { [red, green, blue] }

    /// Each plane resampled to `width` x `height` (GrayscaleImage.resampled).
    public func resampled(width: Int, height: Int) -> RGBImage {
        RGBImage(red: red.resampled(width: width, height: height), green: green.resampled(width: width, height: height),
                 blue: blue.resampled(width: width, height: height))
    }
}
