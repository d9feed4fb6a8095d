// safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON header, then the data buffer. Reads and writes F32 tensors, and I64
// (BatchNorm's num_batches_tracked, as PyTorch saves it).
// `open` validates the whole header before any tensor byte is read; holes between tensors are
// tolerated, overlaps and out-of-range offsets are not.

import Core
import Foundation
import NN

public struct SafeTensorsFile {
    /// One tensor: `byteRange` is its `data_offsets`, relative to the start of the data buffer.
    public enum DType: String, Sendable {
        case f32 = "F32", i64 = "I64"
        public var size: Int { self == .f32 ? 4 : 8 }
    }

    public struct Entry {
        public let name: String
        public let shape: [Int]
        public let dtype: DType
        public let byteRange: Range<Int>
        public var count: Int { byteRange.count / dtype.size }
    }

    /// Headers beyond this are refused rather than allocated.
    public static let maxHeaderBytes = 100_000_000

    public let path: String
    public let metadata: [String: String]
    public let entries: [String: Entry]
    /// Tensor names in file order (by data offset, then name).
    public let names: [String]
    private let file: PosixFile
    private let dataStart: Int

    /// Reads and validates the header; tensor data is read later by `read`/`floats`. The file
    /// stays open, so a checkpoint replaced by rename meanwhile is still read consistently.
    public static func open(path: String) throws -> SafeTensorsFile {
        let file = try PosixFile.openForReading(path)
        let fileSize = try file.size()
        func fail(_ what: String) -> InputError { InputError("\(path): \(what)") }

        var prefix: UInt64 = 0
        guard fileSize >= 8, try withUnsafeMutableBytes(of: &prefix, { try file.read(at: 0, into: $0) }) else {
            throw fail(NotACheckpoint.describe(path: path, fileSize: fileSize)
                       ?? "not a safetensors checkpoint: \(fileSize) bytes, expected at least an 8-byte header length")
        }
        // a length that cannot be right means this is no checkpoint at all (often a YAML file given
        // by mistake), said before the numbers
        let headerLength = UInt64(littleEndian: prefix)
        guard headerLength <= UInt64(maxHeaderBytes) else {
            throw fail(NotACheckpoint.describe(path: path, fileSize: fileSize)
                       ?? "not a safetensors checkpoint: its first 8 bytes give a header length of \(headerLength), beyond the \(maxHeaderBytes)-byte limit")
        }
        guard 8 + Int(headerLength) <= fileSize else {
            throw fail(NotACheckpoint.describe(path: path, fileSize: fileSize)
                       ?? "not a safetensors checkpoint, or a truncated one: header length \(headerLength) runs past the end of the \(fileSize)-byte file")
        }
        var headerBytes = [UInt8](repeating: 0, count: Int(headerLength))
        guard try headerBytes.withUnsafeMutableBytes({ try file.read(at: 8, into: $0) }) else {
            throw fail("file ended inside the header")
        }
        let dataStart = 8 + Int(headerLength)
        let header = try SafeTensorsHeader(bytes: headerBytes, dataLength: fileSize - dataStart, fail: fail)
        return SafeTensorsFile(path: path, metadata: header.metadata,
                               entries: Dictionary(uniqueKeysWithValues: header.entries.map { ($0.name, $0) }),
                               names: header.entries.map(\.name), file: file, dataStart: dataStart)
    }

    public func entry(_ name: String) throws -> Entry {
        guard let entry = entries[name] else { throw InputError("\(path): no tensor named \(SafeTensorsHeader.quoted(name))") }
        return entry
    }

    /// Copies tensor `name` into `buffer`, whose size must equal the tensor's element count.
    public func read(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        let entry = try entry(name)
        guard entry.dtype == .f32 else { throw InputError("\(path): tensor \(SafeTensorsHeader.quoted(name)) is \(entry.dtype.rawValue), expected F32") }
        guard buffer.count == entry.count else {
            throw InputError("\(path): tensor \(SafeTensorsHeader.quoted(name)) has shape \(entry.shape) (\(entry.count) values), "
                             + "expected \(buffer.count) values")
        }
        guard entry.count > 0 else { return }
        guard try file.read(at: dataStart + entry.byteRange.lowerBound, into: UnsafeMutableRawBufferPointer(buffer)) else {
            throw InputError("\(path): file ended inside tensor \(SafeTensorsHeader.quoted(name)) (was it truncated?)")
        }
        #if _endian(big)
        for i in buffer.indices { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
        #endif
    }

    /// The values of an I64 tensor.
    public func int64s(_ name: String) throws -> [Int64] {
        let entry = try entry(name)
        guard entry.dtype == .i64 else { throw InputError("\(path): tensor \(SafeTensorsHeader.quoted(name)) is \(entry.dtype.rawValue), expected I64") }
        var values = [Int64](repeating: 0, count: entry.count)
        guard entry.count > 0 else { return values }
        guard try values.withUnsafeMutableBytes({ try file.read(at: dataStart + entry.byteRange.lowerBound, into: $0) }) else {
            throw InputError("\(path): file ended inside tensor \(SafeTensorsHeader.quoted(name)) (was it truncated?)")
        }
        return values.map { Int64(littleEndian: $0) }
    }

    public func floats(_ name: String) throws -> [Float] {
        let entry = try entry(name)
        var values = [Float](repeating: 0, count: entry.count)
        try values.withUnsafeMutableBufferPointer { try read(name, into: $0) }
        return values
    }
}

/// Collects F32 (and I64) tensors and writes them as one safetensors file, atomically. The output is
/// deterministic: tensors in insertion order with contiguous offsets, metadata keys sorted.
public struct SafeTensorsWriter {
    private var metadata: [String: String]
    private var tensors: [(name: String, shape: [Int], dtype: SafeTensorsFile.DType, bytes: [UInt8])] = []
    private var names: Set<String> = []

    public init(metadata: [String: String]) { self.metadata = metadata }

    /// Copies `data`; `shape` must describe exactly `data.count` values and `name` must be new.
    public mutating func add(name: String, shape: [Int], data: UnsafeBufferPointer<Float>) {
        #if _endian(big)
        let values = data.map { Float(bitPattern: $0.bitPattern.littleEndian) }
        #else
        let values = Array(data)
        #endif
        append(name, shape, .f32, count: data.count, bytes: values.withUnsafeBytes { Array($0) })
    }

    /// An I64 tensor (little-endian), e.g. a scalar counter with shape [].
    public mutating func add(name: String, shape: [Int], int64s data: [Int64]) {
        append(name, shape, .i64, count: data.count, bytes: data.map(\.littleEndian).withUnsafeBytes { Array($0) })
    }

    private mutating func append(_ name: String, _ shape: [Int], _ dtype: SafeTensorsFile.DType, count: Int, bytes: [UInt8]) {
        precondition(name != "__metadata__" && !names.contains(name), "safetensors: duplicate tensor name \(name)")
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == count,
                     "safetensors: shape \(shape) does not hold \(count) values for \(name)")
        names.insert(name)
        tensors.append((name, shape, dtype, bytes))
    }

    /// The header JSON, padded with spaces to a multiple of 8 bytes.
    func headerBytes() -> [UInt8] {
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(SafeTensorsHeader.quoted($0)):\(SafeTensorsHeader.quoted(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for t in tensors {
            let end = offset + t.bytes.count
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(SafeTensorsHeader.quoted(t.name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var bytes = Array("{\(fields.joined(separator: ","))}".utf8)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8))
        return bytes
    }

    public func write(to path: String) throws {
        let header = headerBytes()
        try writeAtomically(to: path) { write in
            try withUnsafeBytes(of: UInt64(header.count).littleEndian) { try write($0) }
            try header.withUnsafeBytes { try write($0) }
            for t in tensors { try t.bytes.withUnsafeBytes { try write($0) } }
        }
    }
}
