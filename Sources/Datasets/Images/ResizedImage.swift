// An image file prepared the way the `folder` dataset stores its images: decoded by content,
// stretched to H x W (torchvision's Resize((H, W))), converted to C channels (C = 1: luma; C = 3:
// RGB, grey replicated) and quantised to bytes, as the training images were. Used by `predict` for
// models that were not trained on MNIST-style digits.

import Core

public enum ResizedImage {
    /// (channels, height, width) u8 of the file at `path`, written to `dst`. Channels other than 1
    /// or 3 are an InputError.
    public static func decode(_ path: String, channels: Int, height: Int, width: Int,
                              options: ImageDecodeOptions = .init(), into dst: UnsafeMutablePointer<UInt8>) throws {
        guard channels == 1 || channels == 3 else {
            throw InputError("\(path): images are decoded to 1 (grey) or 3 (RGB) channels; the model input has \(channels)")
        }
        let planes = channels == 1
            ? [try ImageDecoder.decode(path: path, options: options).image.resampled(width: width, height: height)]
            : try ImageDecoder.decodeRGB(path: path, options: options).resampled(width: width, height: height).planes
        let area = height * width
        for (k, plane) in planes.enumerated() {
            plane.pixels.withUnsafeBufferPointer { src in
                let out = dst + k * area
                for i in 0 ..< area { out[i] = UInt8((min(max(src[i], 0), 1) * 255).rounded()) }
            }
        }
    }

    /// The same as floats in [0, 1] (byte / 255, as a batch gather makes them).
    public static func floats(_ path: String, channels: Int, height: Int, width: Int,
                              options: ImageDecodeOptions = .init()) throws -> [Float] {
        var bytes = [UInt8](repeating: 0, count: channels * height * width)
        try bytes.withUnsafeMutableBufferPointer {
            try decode(path, channels: channels, height: height, width: width, options: options, into: $0.baseAddress!)
        }
        return bytes.map { Float($0) / 255 }
    }
}
