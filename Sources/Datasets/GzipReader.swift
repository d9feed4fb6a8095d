// Reads a data file whole, inflating it with zlib when it is gzip (magic 1f 8b), else raw bytes.
// Concatenated gzip members are inflated one after another, as `gzip -d` does. This is the only
// Datasets file that calls zlib; every zlib return code is checked and reported as an InputError.

import CZlib
import Foundation
import NN

/// The bytes of `path`, gunzipped when the file starts with the gzip magic.
public func readMaybeGzip(path: String) throws -> [UInt8] {
    let raw = try readFileBytes(path: path)
    guard raw.count >= 2, raw[0] == 0x1f, raw[1] == 0x8b else { return raw }
    return try gunzip(raw, path: path)
}

/// The bytes of `path` exactly as stored on disk.
public func readFileBytes(path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw InputError("\(path): cannot open data file (\(errnoText()))") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw InputError("\(path): cannot stat data file (\(errnoText()))") }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
        throw InputError("\(path): expected a regular data file, found a directory or special file")
    }
    let size = Int(info.st_size)
    var bytes = [UInt8](repeating: 0, count: size)
    var filled = 0
    try bytes.withUnsafeMutableBytes { buf in
        while filled < size {
            let n = read(fd, buf.baseAddress! + filled, size - filled)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw InputError("\(path): read failed (\(errnoText()))") }
            guard n > 0 else { throw InputError("\(path): file shrank while reading (expected \(size) bytes, got \(filled))") }
            filled += n
        }
    }
    return bytes
}

private func errnoText() -> String { String(cString: strerror(errno)) }

/// Inflates every gzip member of `input` into one output buffer that doubles when full.
private func gunzip(_ input: [UInt8], path: String) throws -> [UInt8] {
    func corrupt(_ why: String) -> InputError {
        InputError("\(path): truncated or corrupt gzip data (\(why))")
    }
    var stream = z_stream()
    var rc = inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    guard rc == Z_OK else { throw corrupt("inflateInit2 failed with code \(rc)") }
    defer { inflateEnd(&stream) }

    // The gzip trailer's ISIZE (size mod 2^32) is a hint only, capped by deflate's best ratio
    // (1032:1) so a damaged trailer cannot demand a huge buffer; the buffer grows when it is short.
    let n = input.count
    let isize = n < 4 ? 0 : Int(input[n - 4 ..< n].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    var output = [UInt8](repeating: 0, count: max(64 << 10, min(max(isize, 2 * n), 1032 * n)))
    var produced = 0
    var consumed = 0
    try input.withUnsafeBufferPointer { source in
        while true {
            if produced == output.count { output += repeatElement(0, count: output.count) }
            let offered = min(n - consumed, Int(UInt32.max))
            let room = min(output.count - produced, Int(UInt32.max))
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress! + consumed)
            stream.avail_in = UInt32(offered)
            rc = output.withUnsafeMutableBufferPointer { target in
                stream.next_out = target.baseAddress! + produced
                stream.avail_out = UInt32(room)
                return inflate(&stream, Z_NO_FLUSH)
            }
            consumed += offered - Int(stream.avail_in)
            produced += room - Int(stream.avail_out)
            switch rc {
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.avail_out == 0:
                continue
            case Z_BUF_ERROR:
                throw corrupt("stream ends after \(consumed) of the expected bytes")
            case Z_STREAM_END where consumed == n:
                return
            case Z_STREAM_END:
                guard n - consumed >= 2, source[consumed] == 0x1f, source[consumed + 1] == 0x8b else {
                    throw corrupt("\(n - consumed) unexpected bytes after the gzip stream")
                }
                rc = inflateReset(&stream)
                guard rc == Z_OK else { throw corrupt("inflateReset failed with code \(rc)") }
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "zlib code \(rc)"
                throw corrupt(detail)
            }
        }
    }
    output.removeSubrange(produced...)
    return output
}
