// Netpbm grey and colour images in pure Swift: PGM (P2 plain, P5 raw) and PPM (P3 plain, P6 raw).
// Header: magic, width, height, maxval as decimal tokens separated by whitespace, '#' comments to
// the end of a line; raw formats then have exactly one whitespace byte before the samples. Samples
// are one byte for maxval <= 255, else two big-endian bytes; maxval is 1...65535. PPM becomes grey
// by luma 0.299 R + 0.587 G + 0.114 B; asked for RGB, PPM gives its planes and PGM three equal ones. Bytes after the last sample are ignored (Netpbm allows
// several images in one file; this reads the first).

import Core

enum PNMDecoder {
    /// The image in grey, full size, and whether it was PGM or PPM. Checks width x height against
    /// `maxPixels` before allocating.
    static func decode(_ bytes: [UInt8], name: String, maxPixels: Int) throws -> (image: GrayscaleImage, format: ImageFormat) {
        let decoded = try decodePlanes(bytes, name: name, maxPixels: maxPixels, rgb: false)
        return (decoded.planes[0], decoded.format)
    }

    /// One grey plane, or (`rgb`) the planes R, G, B, full size; and whether it was PGM or PPM.
    static func decodePlanes(_ bytes: [UInt8], name: String, maxPixels: Int,
                             rgb: Bool) throws -> (planes: [GrayscaleImage], format: ImageFormat) {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P") else { throw InputError("\(name): not a PGM or PPM file") }
        let plain = bytes[1] == UInt8(ascii: "2") || bytes[1] == UInt8(ascii: "3")
        let colour = bytes[1] == UInt8(ascii: "3") || bytes[1] == UInt8(ascii: "6")
        let format: ImageFormat = colour ? .ppm : .pgm
        let kind = "\(colour ? "PPM" : "PGM") (P\(Character(UnicodeScalar(bytes[1]))))"
        var reader = Tokens(bytes: bytes, at: 2, name: name, kind: kind)
        let width = try reader.number("width"), height = try reader.number("height")
        let maxval = try reader.number("maxval")
        guard (1 ... 65535).contains(maxval) else {
            throw InputError("\(name): unsupported bit depth/maxval \(maxval) in \(kind) header; expected 1...65535")
        }
        try ImageDecoder.checkSize(width: width, height: height, maxPixels: maxPixels, name: name, format: kind)
        let channels = colour ? 3 : 1
        let samples = width * height * channels
        // The file must hold every sample before `values` is allocated: a raw sample is 1 or 2
        // bytes, a plain one at least a digit and a separator (the last needs no separator).
        let rasterStart = plain ? reader.at : try reader.rasterStart()
        let sampleBytes = plain ? 2 * samples - 1 : samples * (maxval > 255 ? 2 : 1)
        guard bytes.count - rasterStart >= sampleBytes else {
            throw InputError("\(name): truncated \(kind): \(width)x\(height) needs at least \(sampleBytes) bytes of samples, found \(bytes.count - rasterStart)")
        }
        var values = [Float](repeating: 0, count: samples)               // (height, width, channels), 0...maxval
        if plain {
            for i in 0 ..< samples {
                let v = try reader.number("sample \(i + 1) of \(samples)", missing: "truncated: ")   // message built only on error
                guard v <= maxval else { throw InputError("\(name): \(kind) sample \(i + 1) is \(v), over maxval \(maxval)") }
                values[i] = Float(v)
            }
        } else {
            readRaw(bytes, from: rasterStart, into: &values, maxval: maxval)
            if let over = values.firstIndex(where: { $0 > Float(maxval) }) {
                throw InputError("\(name): \(kind) sample \(over + 1) is \(Int(values[over])), over maxval \(maxval)")
            }
        }
        let scale = 1 / Float(maxval)
        /// Plane `k` of the output: 0, 1, 2 = R, G, B of a PPM (PGM: the grey), or luma when k is nil.
        func plane(_ k: Int?) -> GrayscaleImage {
            var pixels = [Float](repeating: 0, count: width * height)
            values.withUnsafeBufferPointer { v in
                pixels.withUnsafeMutableBufferPointer { p in
                    if !colour {
                        for i in 0 ..< p.count { p[i] = v[i] * scale }
                    } else if let k {
                        for i in 0 ..< p.count { p[i] = v[3 * i + k] * scale }
                    } else {
                        for i in 0 ..< p.count { p[i] = (0.299 * v[3 * i] + 0.587 * v[3 * i + 1] + 0.114 * v[3 * i + 2]) * scale }
                    }
                }
            }
            return GrayscaleImage(width: width, height: height, pixels: pixels)
        }
        return (rgb ? [plane(0), plane(1), plane(2)] : [plane(nil)], format)
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0B || byte == 0x0C || byte == 0x0D
    }

    /// P5/P6 samples from `start`: 1 byte each, or 2 big-endian bytes when maxval > 255. The caller
    /// has checked that the bytes are there.
    private static func readRaw(_ bytes: [UInt8], from start: Int, into values: inout [Float], maxval: Int) {
        let width = maxval > 255 ? 2 : 1
        bytes.withUnsafeBufferPointer { src in
            values.withUnsafeMutableBufferPointer { dst in
                let base = src.baseAddress! + start
                for i in 0 ..< dst.count {
                    dst[i] = Float(width == 1 ? Int(base[i]) : Int(base[2 * i]) << 8 | Int(base[2 * i + 1]))
                }
            }
        }
    }

    /// Decimal tokens after the magic, skipping whitespace and '#' comments.
    private struct Tokens {
        let bytes: [UInt8]
        private(set) var at: Int
        let name: String, kind: String

        /// The next unsigned decimal number (at most 9 digits: larger is never a valid size or sample).
        mutating func number(_ what: @autoclosure () -> String, missing: String = "") throws -> Int {
            skipSpaceAndComments()
            guard at < bytes.count else { throw InputError("\(name): \(missing)\(kind) ends before its \(what())") }
            var value = 0, digits = 0
            while at < bytes.count, (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(bytes[at]) {
                value = value * 10 + Int(bytes[at] - UInt8(ascii: "0"))
                digits += 1
                at += 1
                guard digits <= 9 else { throw InputError("\(name): \(kind) \(what()) has more than 9 digits") }
            }
            guard digits > 0 else {
                throw InputError("\(name): \(kind) \(what()): expected a decimal number, found byte 0x\(String(bytes[at], radix: 16))")
            }
            return value
        }

        /// After maxval: exactly one whitespace byte, then the samples.
        func rasterStart() throws -> Int {
            guard at < bytes.count, PNMDecoder.isWhitespace(bytes[at]) else {
                throw InputError("\(name): \(kind) header must end in one whitespace byte after maxval")
            }
            return at + 1
        }

        private mutating func skipSpaceAndComments() {
            while at < bytes.count {
                if PNMDecoder.isWhitespace(bytes[at]) {
                    at += 1
                } else if bytes[at] == UInt8(ascii: "#") {
                    while at < bytes.count, bytes[at] != 0x0A, bytes[at] != 0x0D { at += 1 }
                } else {
                    return
                }
            }
        }
    }
}
