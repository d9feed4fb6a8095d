// Helpers for the Datasets tests: a scratch directory per test, synthetic IDX files written raw
// or gzipped (through zlib's gzopen/gzwrite), and an assertion that a call throws an InputError
// whose one-line message names a given file.

import Core
import CZlib
import Datasets
import Foundation
import NN
import XCTest

/// A fresh empty directory, removed when the test ends.
func scratchDirectory(_ test: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "dtrain-datasets-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// An IDX file of u8: magic 00 00 08 ndim, big-endian u32 dims, then `payload`.
func idxBytes(dims: [UInt32], payload: [UInt8], typeCode: UInt8 = 0x08) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, typeCode, UInt8(dims.count)]
    for d in dims { bytes += [UInt8(d >> 24), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
    return bytes + payload
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    guard FileManager.default.createFile(atPath: path, contents: Foundation.Data(bytes)) else {
        throw InputError("\(path): could not write test file")
    }
}

/// The gzip encoding of `bytes` (one member, written by zlib).
func gzipBytes(_ bytes: [UInt8], scratch: String) throws -> [UInt8] {
    let path = scratch + "/gzip-" + UUID().uuidString
    guard let file = gzopen(path, "wb") else { throw InputError("\(path): gzopen failed") }
    let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    guard gzclose(file) == Z_OK, written == Int32(bytes.count) else { throw InputError("\(path): gzwrite failed") }
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try readFileBytes(path: path)
}

/// Writes a synthetic MNIST split (n images of h x w) to `dir`, gzipped or raw; pixel
/// (i, k) = (i * 7 + k) mod 256, label i = i mod 10 unless given.
@discardableResult
func writeSplit(_ dir: String, prefix: String, n: Int, h: Int = 4, w: Int = 3, gzip: Bool,
                labels: [UInt8]? = nil, labelCount: Int? = nil) throws -> (pixels: [UInt8], labels: [UInt8]) {
    let pixels = (0 ..< n * h * w).map { UInt8(($0 / (h * w) * 7 + $0 % (h * w)) % 256) }
    let lab = labels ?? (0 ..< (labelCount ?? n)).map { UInt8($0 % 10) }
    let images = idxBytes(dims: [UInt32(n), UInt32(h), UInt32(w)], payload: pixels)
    let labelFile = idxBytes(dims: [UInt32(lab.count)], payload: lab)
    let suffix = gzip ? ".gz" : ""
    try writeFile("\(dir)/\(prefix)-images-idx3-ubyte\(suffix)", gzip ? gzipBytes(images, scratch: dir) : images)
    try writeFile("\(dir)/\(prefix)-labels-idx1-ubyte\(suffix)", gzip ? gzipBytes(labelFile, scratch: dir) : labelFile)
    return (pixels, lab)
}

/// Asserts that `body` throws an InputError whose single-line message contains every fragment.
func assertInputError<T>(_ body: @autoclosure () throws -> T, mentions fragments: String...,
                         file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an InputError mentioning \(fragments)", file: file, line: line)
    } catch let error as InputError {
        XCTAssertFalse(error.message.contains("\n"), "message is not one line: \(error.message)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(error.message.contains(fragment), "\"\(error.message)\" lacks \"\(fragment)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected an InputError, got \(error)", file: file, line: line)
    }
}

/// Points $DTRAIN_CACHE at a fresh scratch folder for this test (restored when it ends), so the
/// PixelCache files a test makes are its own and are removed with it. Returns the folder.
@discardableResult
func useScratchCache(_ test: XCTestCase) throws -> String {
    let folder = try scratchDirectory(test) + "/cache"
    let previous = ProcessInfo.processInfo.environment["DTRAIN_CACHE"]
    setenv("DTRAIN_CACHE", folder, 1)
    test.addTeardownBlock {
        if let previous { setenv("DTRAIN_CACHE", previous, 1) } else { unsetenv("DTRAIN_CACHE") }
    }
    return folder
}
