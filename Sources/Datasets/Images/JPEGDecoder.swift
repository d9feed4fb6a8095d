// JPEG through libjpeg(-turbo), driven by the setjmp-guarded C functions in Sources/CJPEG/shim.h:
// header first (size checked against the pixel limit before libjpeg allocates any image memory),
// then an 8-bit grey or RGB decode (libjpeg's colour conversion; CMYK converted in the shim),
// scaled down in the DCT (1/2, 1/4, 1/8) when a reduction is asked, then the EXIF orientation. A truncated or corrupt file is an error, not a padded grey picture.
// 12-bit, lossless and hierarchical JPEGs and sides over 65500 are refused. The only file that
// calls libjpeg.

import Core
import CJPEG

enum JPEGDecoder {
    struct Result {
        var planes: [GrayscaleImage]   // grey, or R, G, B: upright, reduced by `factor`
        var image: GrayscaleImage { planes[0] }
        var originalWidth: Int         // upright, full size
        var originalHeight: Int
        var factor: Int                // 1, 2, 4 or 8
        var origin: (x: Int, y: Int)   // DecodedImage.originX/Y
    }

    /// `rgb`: three planes R, G, B (a grey file gives three equal planes); else one grey plane.
    static func decode(_ bytes: [UInt8], name: String, options: ImageDecodeOptions, rgb: Bool = false) throws -> Result {
        guard let decoder = cjpeg_open() else { throw InputError("\(name): out of memory starting the JPEG decoder") }
        defer { cjpeg_close(decoder) }
        return try bytes.withUnsafeBufferPointer { file in
            var header = cjpeg_header()
            try check(cjpeg_read_header(decoder, file.baseAddress, UInt(file.count), &header), decoder, name)
            let width = Int(header.width), height = Int(header.height)
            try ImageDecoder.checkSize(width: width, height: height, maxPixels: options.maxPixels, name: name, format: "JPEG")
            let orientation = header.exif.map {
                EXIFOrientation(exifMarker: Array(UnsafeBufferPointer(start: $0, count: Int(header.exif_length))))
            } ?? .identity
            let factor = ImageReduction.factor(longestSide: max(width, height), target: options.reduceLongestSideTo,
                                               dctOnly: true)
            var outWidth: Int32 = 0, outHeight: Int32 = 0
            try check(cjpeg_start(decoder, Int32(factor), rgb ? 1 : 0, &outWidth, &outHeight), decoder, name)
            let count = Int(outWidth) * Int(outHeight), channels = rgb ? 3 : 1
            var samples = [UInt8](repeating: 0, count: count * channels)    // (outHeight, outWidth, channels)
            try check(samples.withUnsafeMutableBufferPointer { cjpeg_read(decoder, $0.baseAddress) }, decoder, name)
            let planes = (0 ..< channels).map { channel in
                var pixels = [Float](repeating: 0, count: count)
                samples.withUnsafeBufferPointer { src in
                    pixels.withUnsafeMutableBufferPointer { dst in
                        for i in 0 ..< count { dst[i] = Float(src[i * channels + channel]) * (1 / 255) }
                    }
                }
                return orientation.apply(to: GrayscaleImage(width: Int(outWidth), height: Int(outHeight), pixels: pixels))
            }
            return Result(planes: planes,
                          originalWidth: orientation.swapsSides ? height : width,
                          originalHeight: orientation.swapsSides ? width : height, factor: factor,
                          origin: orientation.uprightOrigin(storedPadX: Int(outWidth) * factor - width,
                                                            storedPadY: Int(outHeight) * factor - height))
        }
    }

    /// Throws the InputError for a CJPEG_* status, quoting libjpeg's message.
    private static func check(_ status: Int32, _ decoder: UnsafeMutablePointer<cjpeg_decoder>, _ name: String) throws {
        guard status != Int32(CJPEG_OK) else { return }
        let message = withUnsafeBytes(of: decoder.pointee.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch status {
        case Int32(CJPEG_UNSUPPORTED):
            throw InputError("\(name): unsupported JPEG (libjpeg: \(message)); dtrain reads 8-bit baseline and progressive JPEG up to 65500 pixels a side")
        case Int32(CJPEG_NO_MEMORY):
            throw InputError("\(name): out of memory decoding JPEG, or it needs more than \(CJPEG_MAX_MEMORY >> 20) MiB (libjpeg: \(message))")
        case Int32(CJPEG_TOO_MANY_SCANS):
            throw InputError("\(name): JPEG has more than \(CJPEG_MAX_SCANS) scans (real progressive files have about 10); refused as hostile")
        default:
            throw InputError("\(name): truncated or corrupt JPEG (libjpeg: \(message))")
        }
    }
}
