// A grey-scale image as floats, the form every image-input stage works on: decoders produce it,
// segmentation and the MNIST-style preprocessing read it. Row-major (height, width);
// 0 is black and 1 is white, as the file shows it (no inversion has happened yet).

public struct GrayscaleImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [Float]              // count == width * height

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height,
                     "GrayscaleImage: \(pixels.count) pixels for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A width x height image filled with `value`.
    public init(width: Int, height: Int, filledWith value: Float) {
        self.init(width: width, height: height, pixels: [Float](repeating: value, count: width * height))
    }

    public subscript(x: Int, y: Int) -> Float {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }
}
