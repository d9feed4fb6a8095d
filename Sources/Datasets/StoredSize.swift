// A data file's size against what its header claims, checked before anything is reserved or
// allocated for the claim (a 16-byte IDX file may claim terabytes). A raw file must be exactly
// header + payload bytes. A gzip file (magic 1f 8b) can inflate to at most 1032 times its size
// (deflate's largest ratio: 258 bytes from 2 bits), plus 1 MiB of slack — a bound that no valid file
// exceeds, whatever its content and however many members it has (the ISIZE trailer names only
// the last member's size, so it is no bound for concatenated members); the exact size is checked
// while inflating. Errors name the file and the shape.

import Core

enum StoredSize {
    /// Deflate's maximum expansion: a compressed file inflates to at most this many times its size.
    static let maxInflateRatio = 1032

    /// Throws unless `path` can hold `header` + `payload` bytes: exactly, when raw; within the
    /// inflation bound of its size, when gzipped. `shape` (e.g. "60000x28x28") is for messages.
    static func check(_ path: String, header: Int, payload: Int, shape: String) throws {
        let file = try PosixFile.openRegular(path, what: "data file")
        let size = try file.size()
        var magic: (UInt8, UInt8) = (0, 0)
        let isGzip = try withUnsafeMutableBytes(of: &magic) { try file.read(at: 0, into: $0) } && magic == (0x1f, 0x8b)
        if isGzip {
            let (scaled, overflow) = size.multipliedReportingOverflow(by: maxInflateRatio)
            let bound = overflow ? Int.max : scaled + (1 << 20)
            guard payload <= bound - header else {
                throw InputError("\(path): truncated: the header claims \(payload) bytes of data for \(shape), more than \(size) bytes of gzip can inflate to")
            }
        } else {
            let found = size - header
            guard found == payload else {
                let kind = found < payload ? "truncated" : "trailing data"
                throw InputError("\(path): \(kind): expected \(payload) bytes of data for \(shape), found \(max(found, 0))")
            }
        }
    }
}
