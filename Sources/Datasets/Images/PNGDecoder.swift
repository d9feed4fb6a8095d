// PNG through libpng's simplified API (png_image_*), which takes any PNG (1/2/4/8/16-bit grey,
// palette with or without tRNS, grey + alpha, RGB, RGBA, interlaced) to 8-bit grey + alpha or
// 8-bit RGB + alpha, and reports errors in png_image.message instead of longjmp. 16-bit samples are
// taken as sRGB-encoded like 8-bit ones, so the 8-bit sample is round(v16 / 257). Colour becomes
// grey as libpng does it: in linear light (gamma 2.2) with the sRGB weights 0.2126 R + 0.7152 G +
// 0.0722 B, not the JPEG/PPM luma on encoded values; the RGB path keeps the stored samples (a grey
// file gives R = G = B). Alpha is composited over white paper here. The only file that calls libpng.

import Core
import CPNG

enum PNGDecoder {
    /// The image in grey, full size; checks width x height against `maxPixels` before allocating.
    static func decode(_ bytes: [UInt8], name: String, maxPixels: Int) throws -> GrayscaleImage {
        try decodePlanes(bytes, name: name, maxPixels: maxPixels, rgb: false)[0]
    }

    /// One grey plane, or (`rgb`) the planes R, G, B; full size, alpha composited over white.
    static func decodePlanes(_ bytes: [UInt8], name: String, maxPixels: Int, rgb: Bool) throws -> [GrayscaleImage] {
        var png = png_image()
        png.version = png_uint_32(PNG_IMAGE_VERSION)
        defer { png_image_free(&png) }
        let stride = rgb ? 4 : 2                                    // samples per pixel, alpha last
        let samples: [UInt8] = try bytes.withUnsafeBytes { file in  // (height, width, stride)
            guard png_image_begin_read_from_memory(&png, file.baseAddress, file.count) != 0 else {
                throw corrupt(name, png)
            }
            try ImageDecoder.checkSize(width: Int(png.width), height: Int(png.height), maxPixels: maxPixels,
                                       name: name, format: "PNG")
            // PNG_FORMAT_RGBA is COLOR | ALPHA (a macro of macros Swift does not import)
            png.format = png_uint_32(rgb ? PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA : PNG_FORMAT_GA)
            png.flags |= png_uint_32(PNG_IMAGE_FLAG_16BIT_sRGB)
            var samples = [UInt8](repeating: 0, count: Int(png.width) * Int(png.height) * stride)
            let ok = samples.withUnsafeMutableBytes { png_image_finish_read(&png, nil, $0.baseAddress, 0, nil) }
            guard ok != 0 else { throw corrupt(name, png) }
            return samples
        }
        let count = Int(png.width) * Int(png.height)
        return (0 ..< stride - 1).map { channel in
            var pixels = [Float](repeating: 0, count: count)
            samples.withUnsafeBufferPointer { src in
                pixels.withUnsafeMutableBufferPointer { dst in
                    for i in 0 ..< count {
                        // over white: v a + 255 (1 - a), all on the 0...255 scale, then / 255
                        let value = Float(src[stride * i + channel]), alpha = Float(src[stride * i + stride - 1])
                        dst[i] = (value * alpha + 255 * (255 - alpha)) * (1 / 65025)
                    }
                }
            }
            return GrayscaleImage(width: Int(png.width), height: Int(png.height), pixels: pixels)
        }
    }

    /// libpng's message (a NUL-terminated char[64] inside png_image).
    private static func corrupt(_ name: String, _ png: png_image) -> InputError {
        let text = withUnsafeBytes(of: png.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return InputError("\(name): truncated or corrupt PNG (libpng: \(text.isEmpty ? "no message" : text))")
    }
}
