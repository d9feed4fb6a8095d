// An 8-bit grey-scale image: built from float values (a filter's weights, a feature map)
// normalised to 0...255 per image, scaled up by pixel repetition, encoded as PNG.

import Core
import Foundation

public struct GrayImage: Equatable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]               // (height, width), row-major

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "GrayImage: \(pixels.count) pixels for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// `values` mapped linearly so their minimum is 0 and maximum 255. A constant image is mid-grey;
    /// non-finite values are black.
    public static func normalised(width: Int, height: Int, values: [Float]) -> GrayImage {
        let finite = values.filter(\.isFinite)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 0
        let pixels: [UInt8] = values.map { v in
            guard v.isFinite else { return 0 }
            guard hi > lo else { return 128 }
            return UInt8(max(0, min(255, ((v - lo) / (hi - lo) * 255).rounded())))
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    /// Each pixel repeated `factor` x `factor` times (nearest neighbour), so small images stay
    /// crisp in viewers that smooth when they scale.
    public func upscaled(by factor: Int) -> GrayImage {
        guard factor > 1 else { return self }
        var out = [UInt8](repeating: 0, count: width * height * factor * factor)
        let w = width * factor
        for y in 0..<height * factor {
            for x in 0..<w { out[y * w + x] = pixels[(y / factor) * width + x / factor] }
        }
        return GrayImage(width: w, height: height * factor, pixels: out)
    }

    public var png: [UInt8] { PNG.encodeGray(width: width, height: height, pixels: pixels) }
}
