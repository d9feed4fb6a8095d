// Reads data files: whole (small files: labels) or streamed in chunks (images), inflating gzip
// (magic 1f 8b) with zlib. Concatenated gzip members are inflated one after another, as `gzip -d`
// does. Streaming never holds the whole compressed or inflated file in memory. This is the only
// Datasets file that calls zlib; every zlib return code is checked and reported as an InputError.

import Core
import CZlib
import Foundation
import NN

/// The bytes of `path`, gunzipped when the file starts with the gzip magic.
public func readMaybeGzip(path: String) throws -> [UInt8] {
    var output: [UInt8] = []
    try streamMaybeGzip(path: path) { chunk in output.append(contentsOf: chunk) }
    return output
}

/// The bytes of `path` exactly as stored on disk.
public func readFileBytes(path: String) throws -> [UInt8] {
    let file = try PosixFile.openRegular(path, what: "data file")
    let size = try file.size()
    var bytes = [UInt8](repeating: 0, count: size)
    var filled = 0
    try bytes.withUnsafeMutableBytes { buf in
        while filled < size {
            let n = try file.read(into: buf.baseAddress! + filled, count: size - filled)
            guard n > 0 else { throw InputError("\(path): file shrank while reading (expected \(size) bytes, got \(filled))") }
            filled += n
        }
    }
    return bytes
}

/// Feeds the file's contents (inflated when gzip) to `sink` in chunks of at most 256 KB.
public func streamMaybeGzip(path: String, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
    let file = try PosixFile.openRegular(path, what: "data file")
    let chunk = 256 << 10
    let input = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
    defer { input.deallocate() }
    var have = try file.fill(input, count: chunk)
    let bytes = input.assumingMemoryBound(to: UInt8.self)
    guard have >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b else {
        while have > 0 {
            try sink(UnsafeRawBufferPointer(start: input, count: have))
            have = try file.fill(input, count: chunk)
        }
        return
    }
    try inflateStream(file: file, input: bytes, capacity: chunk, have: have, sink: sink)
}


/// Inflates every gzip member of the file; `input` holds its first `have` bytes.
private func inflateStream(file: PosixFile, input: UnsafeMutablePointer<UInt8>, capacity: Int, have: Int,
                           sink: (UnsafeRawBufferPointer) throws -> Void) throws {
    let path = file.path
    func corrupt(_ why: String) -> InputError {
        InputError("\(path): truncated or corrupt gzip data (\(why))")
    }
    var stream = z_stream()
    var rc = inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    guard rc == Z_OK else { throw corrupt("inflateInit2 failed with code \(rc)") }
    defer { inflateEnd(&stream) }
    let outSize = 256 << 10
    let output = UnsafeMutablePointer<UInt8>.allocate(capacity: outSize)
    defer { output.deallocate() }

    var available = have          // bytes of `input` not yet given to zlib, starting at `start`
    var start = 0
    var consumedTotal = 0         // compressed bytes consumed so far (for messages)
    var atEOF = have < capacity
    /// Moves the unconsumed bytes to the front and reads more; false at end of file.
    func refill() throws -> Bool {
        if atEOF { return false }
        if start > 0, available > 0 { (input).update(from: input + start, count: available) }
        start = 0
        let n = try file.fill(input + available, count: capacity - available)
        if n < capacity - available { atEOF = true }
        available += n
        return n > 0
    }
    while true {
        if available == 0 { _ = try refill() }
        stream.next_in = input + start
        stream.avail_in = UInt32(available)
        stream.next_out = output
        stream.avail_out = UInt32(outSize)
        rc = inflate(&stream, Z_NO_FLUSH)
        let used = available - Int(stream.avail_in)
        start += used; available -= used; consumedTotal += used
        let produced = outSize - Int(stream.avail_out)
        if produced > 0 { try sink(UnsafeRawBufferPointer(start: output, count: produced)) }
        switch rc {
        case Z_OK:
            continue
        case Z_BUF_ERROR where available == 0:
            if try refill() { continue }
            throw corrupt("stream ends after \(consumedTotal) of the expected bytes")
        case Z_BUF_ERROR where produced > 0 || used > 0:
            continue
        case Z_BUF_ERROR:
            throw corrupt("no progress after \(consumedTotal) bytes")
        case Z_STREAM_END:
            if available < 2 { _ = try refill() }
            if available == 0 { return }
            guard available >= 2, input[start] == 0x1f, input[start + 1] == 0x8b else {
                var extra = available
                if !atEOF { extra += ((try? file.size()) ?? 0) - (consumedTotal + available) }
                throw corrupt("\(max(extra, available)) unexpected bytes after the gzip stream")
            }
            rc = inflateReset(&stream)
            guard rc == Z_OK else { throw corrupt("inflateReset failed with code \(rc)") }
        default:
            let detail = stream.msg.map { String(cString: $0) } ?? "zlib code \(rc)"
            throw corrupt(detail)
        }
    }
}
