// IDX parsing and gzip reading on synthetic files: round trips (raw, gzipped, concatenated
// members) and every rejection path (magic, type, truncation, trailing data, overflowing dims,
// truncated and corrupt gzip, missing file), each naming the file.

import Core
import Datasets
import NN
import XCTest

final class IDXTests: XCTestCase {
    func testRawRoundTrip() throws {
        let dir = try scratchDirectory(self)
        let payload = (0 ..< 2 * 3 * 4).map { UInt8($0 * 11 % 256) }
        try writeFile(dir + "/a.idx", idxBytes(dims: [2, 3, 4], payload: payload))
        let array = try parseIDX(readMaybeGzip(path: dir + "/a.idx"), file: "a.idx", expectDims: 3)
        XCTAssertEqual(array.dims, [2, 3, 4])
        XCTAssertEqual(array.bytes, payload)
    }

    func testGzipRoundTrip() throws {
        let dir = try scratchDirectory(self)
        let payload = (0 ..< 300_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let raw = idxBytes(dims: [300_000], payload: payload)
        try writeFile(dir + "/l.gz", gzipBytes(raw, scratch: dir))
        XCTAssertEqual(try readMaybeGzip(path: dir + "/l.gz"), raw)
        let array = try parseIDX(readMaybeGzip(path: dir + "/l.gz"), file: "l.gz", expectDims: 1)
        XCTAssertEqual(array.dims, [300_000])
        XCTAssertEqual(array.bytes, payload)
    }

    func testConcatenatedGzipMembers() throws {
        let dir = try scratchDirectory(self)
        let first: [UInt8] = Array(repeating: 7, count: 100_000), second: [UInt8] = [1, 2, 3]
        try writeFile(dir + "/c.gz", gzipBytes(first, scratch: dir) + gzipBytes(second, scratch: dir))
        XCTAssertEqual(try readMaybeGzip(path: dir + "/c.gz"), first + second)
    }

    func testWrongMagic() {
        let labels = idxBytes(dims: [3], payload: [0, 1, 2])
        assertInputError(try parseIDX(labels, file: "x-images", expectDims: 3), mentions: "x-images", "magic", "0x00000803")
        let ints = idxBytes(dims: [3], payload: [0, 1, 2], typeCode: 0x0C)
        assertInputError(try parseIDX(ints, file: "x-labels", expectDims: 1), mentions: "x-labels", "0x00000c01")
        assertInputError(try parseIDX([1, 2], file: "tiny", expectDims: 1), mentions: "tiny", "truncated")
    }

    func testTruncatedAndOverlongPayload() {
        let short = idxBytes(dims: [2, 2, 2], payload: [1, 2, 3, 4, 5, 6, 7])
        assertInputError(try parseIDX(short, file: "short-images", expectDims: 3),
                         mentions: "short-images", "truncated: expected 8 bytes of data", "found 7")
        let long = idxBytes(dims: [2], payload: [1, 2, 3])
        assertInputError(try parseIDX(long, file: "long-labels", expectDims: 1), mentions: "long-labels", "expected 2 bytes", "found 3")
        let headerOnly: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 1]
        assertInputError(try parseIDX(headerOnly, file: "hdr", expectDims: 3), mentions: "hdr", "header of 16 bytes")
    }

    func testHugeAndZeroDims() {
        let huge = idxBytes(dims: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: [1])
        assertInputError(try parseIDX(huge, file: "huge", expectDims: 3), mentions: "huge", "too large")
        let zero = idxBytes(dims: [0, 28, 28], payload: [])
        assertInputError(try parseIDX(zero, file: "zero", expectDims: 3), mentions: "zero", "> 0")
    }

    func testTruncatedAndCorruptGzip() throws {
        let dir = try scratchDirectory(self)
        let raw = idxBytes(dims: [50_000], payload: (0 ..< 50_000).map { UInt8($0 % 251) })
        let gz = try gzipBytes(raw, scratch: dir)
        try writeFile(dir + "/cut.gz", Array(gz.prefix(gz.count / 2)))
        assertInputError(try readMaybeGzip(path: dir + "/cut.gz"), mentions: "cut.gz", "truncated or corrupt gzip data")
        try writeFile(dir + "/notrailer.gz", Array(gz.dropLast(4)))
        assertInputError(try readMaybeGzip(path: dir + "/notrailer.gz"), mentions: "notrailer.gz", "truncated or corrupt")
        var bad = gz
        bad[gz.count - 6] ^= 0xFF   // the CRC-32 in the trailer
        try writeFile(dir + "/crc.gz", bad)
        assertInputError(try readMaybeGzip(path: dir + "/crc.gz"), mentions: "crc.gz", "truncated or corrupt")
        try writeFile(dir + "/magic.gz", [0x1f, 0x8b])
        assertInputError(try readMaybeGzip(path: dir + "/magic.gz"), mentions: "magic.gz", "truncated or corrupt")
        try writeFile(dir + "/junk.gz", gz + [9, 9, 9])
        assertInputError(try readMaybeGzip(path: dir + "/junk.gz"), mentions: "junk.gz", "unexpected bytes")
    }

    func testMissingFileAndDirectory() throws {
        let dir = try scratchDirectory(self)
        assertInputError(try readMaybeGzip(path: dir + "/nope.gz"), mentions: dir + "/nope.gz")
        assertInputError(try readMaybeGzip(path: dir), mentions: dir, "regular")
    }
}
