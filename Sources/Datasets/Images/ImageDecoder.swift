// Reads an image file (PNG, JPEG, PGM, PPM; the format judged by its first bytes, never by the
// name) into a GrayscaleImage as a viewer shows it: JPEG EXIF orientation applied, alpha
// composited over white paper, colour reduced to luma — or, through `decodeRGB`, into an RGBImage
// the same way but with the colour kept (grey files give three equal planes). Optionally shrunk
// by an integer factor for big photos. Limits come first: the file size before reading, width x height from the header
// before any pixel memory. Every failure is one InputError line naming the file.

import Core
import Foundation

public enum ImageFormat: String, Sendable { case png, jpeg, pgm, ppm }

public struct ImageDecodeOptions: Sendable {
    /// The most pixels (width x height as the header states them) a file may have.
    public var maxPixels: Int
    /// The largest file read, in bytes; checked before reading.
    public var maxFileBytes: Int
    /// nil: full size. Else shrink by the largest integer factor f that keeps the longest side at
    /// ceil(longest / f) >= this value (JPEG: f in 1, 2, 4, 8, done in the DCT; other formats: any
    /// f, an f x f box average). Values below 1 act as 1.
    public var reduceLongestSideTo: Int?

    public init(maxPixels: Int = 64_000_000, maxFileBytes: Int = 256 << 20, reduceLongestSideTo: Int? = nil) {
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
        self.reduceLongestSideTo = reduceLongestSideTo
    }
}

public struct DecodedImage: Sendable {
    /// The picture, reduced when asked: ceil(originalWidth / f) x ceil(originalHeight / f).
    public var image: GrayscaleImage
    public var format: ImageFormat
    /// Size after EXIF orientation, before reduction.
    public var originalWidth: Int
    public var originalHeight: Int
    /// The reduction factor f (1 when not reduced): image pixel (x, y) covers photo pixels
    /// [x f + originX, x f + f + originX) x [y f + originY, ...), so photo coordinates = image
    /// coordinates x scale + origin. Equals originalWidth / image.width whenever f divides the width.
    public var scale: Double
    /// 0, or minus the padding of a partial last block that EXIF orientation moved to the
    /// image's left (top) edge (a mirrored JPEG axis whose side f does not divide).
    public var originX = 0.0, originY = 0.0
}

public enum ImageDecoder {
    static let accepted = "PNG, JPEG, PGM (P2/P5) or PPM (P3/P6)"

    /// Reads and decodes the file at `path`; messages name `path`.
    public static func decode(path: String, options: ImageDecodeOptions = .init()) throws -> DecodedImage {
        try decode(bytes: readFile(path: path, options: options), name: path, options: options)
    }

    /// Decodes an image held in memory; `name` (a path or label) starts every error message.
    public static func decode(bytes: [UInt8], name: String, options: ImageDecodeOptions = .init()) throws -> DecodedImage {
        switch try checkedFormat(bytes, name: name, options: options) {
        case .jpeg:
            let jpeg = try JPEGDecoder.decode(bytes, name: name, options: options)
            return DecodedImage(image: jpeg.image, format: .jpeg, originalWidth: jpeg.originalWidth,
                                originalHeight: jpeg.originalHeight, scale: Double(jpeg.factor),
                                originX: Double(jpeg.origin.x), originY: Double(jpeg.origin.y))
        case .png:
            return reduced(try PNGDecoder.decode(bytes, name: name, maxPixels: options.maxPixels), format: .png, options)
        case .pgm, .ppm:
            let pnm = try PNMDecoder.decode(bytes, name: name, maxPixels: options.maxPixels)
            return reduced(pnm.image, format: pnm.format, options)
        }
    }

    /// The file at `path` in colour, reduced as `options` ask (by the same factor as `decode`);
    /// messages name `path`.
    public static func decodeRGB(path: String, options: ImageDecodeOptions = .init()) throws -> RGBImage {
        try decodeRGB(bytes: readFile(path: path, options: options), name: path, options: options)
    }

    /// `decodeRGB` of an image held in memory; `name` starts every error message.
    public static func decodeRGB(bytes: [UInt8], name: String, options: ImageDecodeOptions = .init()) throws -> RGBImage {
        let planes: [GrayscaleImage]
        switch try checkedFormat(bytes, name: name, options: options) {
        case .jpeg:
            return try rgb(JPEGDecoder.decode(bytes, name: name, options: options, rgb: true).planes)
        case .png:
            planes = try PNGDecoder.decodePlanes(bytes, name: name, maxPixels: options.maxPixels, rgb: true)
        case .pgm, .ppm:
            planes = try PNMDecoder.decodePlanes(bytes, name: name, maxPixels: options.maxPixels, rgb: true).planes
        }
        let factor = ImageReduction.factor(longestSide: max(planes[0].width, planes[0].height), target: options.reduceLongestSideTo)
        return rgb(planes.map { ImageReduction.boxAverage($0, factor: factor) })
    }

    private static func rgb(_ planes: [GrayscaleImage]) -> RGBImage {
        RGBImage(red: planes[0], green: planes[1], blue: planes[2])
    }

    /// The bytes of `path`, the file size checked against the limit before reading.
    private static func readFile(path: String, options: ImageDecodeOptions) throws -> [UInt8] {
        let file = try PosixFile.openRegular(path, what: "image file")
        let size = try file.size()
        guard size > 0 else { throw InputError("\(path): empty file (0 bytes), expected a \(accepted) image") }
        guard size <= options.maxFileBytes else {
            throw InputError("\(path): file is \(size) bytes, over the image file limit of \(options.maxFileBytes) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        let filled = try bytes.withUnsafeMutableBytes { try file.fill($0.baseAddress!, count: size) }
        guard filled == size else { throw InputError("\(path): file shrank while reading (expected \(size) bytes, got \(filled))") }
        return bytes
    }

    /// The format of `bytes` after the size checks; an InputError naming `name` when it is none.
    private static func checkedFormat(_ bytes: [UInt8], name: String, options: ImageDecodeOptions) throws -> ImageFormat {
        guard !bytes.isEmpty else { throw InputError("\(name): empty file (0 bytes), expected a \(accepted) image") }
        guard bytes.count <= options.maxFileBytes else {
            throw InputError("\(name): file is \(bytes.count) bytes, over the image file limit of \(options.maxFileBytes) bytes")
        }
        guard let format = detectFormat(bytes) else {
            let start = bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw InputError("\(name): not an image dtrain reads (starts \(start)); expected \(accepted), recognised by content")
        }
        return format
    }

    /// The format by magic bytes: PNG's 8-byte signature, JPEG's SOI + marker (FF D8 FF), or
    /// Netpbm's P2/P3/P5/P6 followed by whitespace.
    static func detectFormat(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        guard bytes.count >= 3, bytes[0] == UInt8(ascii: "P"), PNMDecoder.isWhitespace(bytes[2]) else { return nil }
        switch bytes[1] {
        case UInt8(ascii: "2"), UInt8(ascii: "5"): return .pgm
        case UInt8(ascii: "3"), UInt8(ascii: "6"): return .ppm
        default: return nil
        }
    }

    /// A full-size decode, box-reduced as the options ask.
    private static func reduced(_ full: GrayscaleImage, format: ImageFormat, _ options: ImageDecodeOptions) -> DecodedImage {
        let factor = ImageReduction.factor(longestSide: max(full.width, full.height), target: options.reduceLongestSideTo)
        return DecodedImage(image: ImageReduction.boxAverage(full, factor: factor), format: format,
                            originalWidth: full.width, originalHeight: full.height, scale: Double(factor))
    }

    /// Throws unless 0 < width, 0 < height and width x height <= maxPixels. Run on header values,
    /// before any pixel memory is allocated.
    static func checkSize(width: Int, height: Int, maxPixels: Int, name: String, format: String) throws {
        guard width > 0, height > 0 else { throw InputError("\(name): \(format) image has zero width or height (\(width)x\(height))") }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maxPixels else {
            throw InputError("\(name): \(format) image is \(width)x\(height) pixels, over the limit of \(maxPixels) pixels")
        }
    }
}
