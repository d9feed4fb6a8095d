// Writers for the dataset catalog tests, all in Swift: IDX pairs under any file names (raw or
// gzipped), CIFAR binary records, Netpbm (P5/P6) and PNG files (8-bit grey or RGB, zlib-compressed
// IDAT, CRCs from ImageFixtures.pngChunk), and the class-dependent patterns the tests check.

import CZlib
import Datasets
import Foundation
import XCTest

enum CatalogFixtures {
    /// Writes `<dir>/<images>` and `<dir>/<labels>` (plus ".gz" when gzipped): an IDX image file of
    /// `dims` (count first) holding `pixels`, and a 1-D label file.
    static func writeIDXPair(_ dir: String, images: String, labels: String, dims: [Int], pixels: [UInt8],
                             labelBytes: [UInt8], gzip: Bool) throws {
        let imageFile = idxBytes(dims: dims.map(UInt32.init), payload: pixels)
        let labelFile = idxBytes(dims: [UInt32(labelBytes.count)], payload: labelBytes)
        let suffix = gzip ? ".gz" : ""
        try writeFile("\(dir)/\(images)\(suffix)", gzip ? gzipBytes(imageFile, scratch: dir) : imageFile)
        try writeFile("\(dir)/\(labels)\(suffix)", gzip ? gzipBytes(labelFile, scratch: dir) : labelFile)
    }

    /// Pixel k of image i with label `label`: depends on both the class and the position, and is
    /// asymmetric in (row, column) so that a transposition shows.
    static func pattern(image i: Int, label: Int, k: Int) -> UInt8 { UInt8((label * 37 + k * 11 + i) % 256) }

    /// A CIFAR record: the label bytes, then 3072 pixels (R, G, B planes) from `pattern`.
    static func cifarRecord(image i: Int, labels: [UInt8]) -> [UInt8] {
        labels + (0 ..< 3072).map { pattern(image: i, label: Int(labels.last!), k: $0) }
    }

    /// A binary PGM (P5), maxval 255, of (height, width) grey bytes.
    static func pgm(width: Int, height: Int, _ grey: [UInt8]) -> [UInt8] { Array("P5\n\(width) \(height)\n255\n".utf8) + grey }

    /// A binary PPM (P6), maxval 255, of (height, width, 3) RGB bytes.
    static func ppm(width: Int, height: Int, _ rgb: [UInt8]) -> [UInt8] { Array("P6\n\(width) \(height)\n255\n".utf8) + rgb }

    /// An 8-bit PNG, grey (channels 1) or RGB (channels 3), of (height, width, channels) bytes.
    static func png(width: Int, height: Int, channels: Int, _ samples: [UInt8]) -> [UInt8] {
        var raw: [UInt8] = []                                  // each row: filter type 0, then the samples
        for y in 0 ..< height { raw += [0] + samples[y * width * channels ..< (y + 1) * width * channels] }
        var size = compressBound(uLong(raw.count))
        var deflated = [UInt8](repeating: 0, count: Int(size))
        let rc = deflated.withUnsafeMutableBufferPointer { out in
            raw.withUnsafeBufferPointer { compress(out.baseAddress, &size, $0.baseAddress, uLong(raw.count)) }
        }
        precondition(rc == Z_OK, "compress failed")
        let ihdr = ImageFixtures.bigEndian32(UInt32(width)) + ImageFixtures.bigEndian32(UInt32(height))
            + [8, channels == 3 ? 2 : 0, 0, 0, 0]              // depth 8, colour type grey/RGB, no interlace
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + ImageFixtures.pngChunk("IHDR", ihdr)
            + ImageFixtures.pngChunk("IDAT", Array(deflated.prefix(Int(size)))) + ImageFixtures.pngChunk("IEND", [])
    }

    /// Creates `path`'s parent folders and writes `bytes` there.
    static func put(_ path: String, _ bytes: [UInt8]) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try writeFile(path, bytes)
    }
}
