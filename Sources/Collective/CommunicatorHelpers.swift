// Convenience collectives built on the Communicator requirements: scalars, arrays, strings and
// records of Doubles (metrics, timings, per-rank accuracies). Records travel as little-endian
// IEEE-754 bit patterns, so every rank decodes exactly what was sent.

import Core

extension Communicator {
    /// True on rank 0, the rank that prints and writes files.
    public var isRoot: Bool { rank == 0 }

    /// The sum of `value` over all ranks.
    public func allreduceSum(_ value: Double) -> Double {
        var x = value
        withUnsafeMutablePointer(to: &x) { allreduceSum(UnsafeMutableBufferPointer(start: $0, count: 1)) }
        return x
    }

    /// The sum of `value` over all ranks (exact: summed as Int64).
    public func allreduceSum(_ value: Int) -> Int {
        var x = Int64(value)
        withUnsafeMutablePointer(to: &x) { allreduceSum(UnsafeMutableBufferPointer(start: $0, count: 1)) }
        return Int(x)
    }

    /// The maximum of `value` over all ranks.
    public func allreduceMax(_ value: Double) -> Double {
        var x = value
        withUnsafeMutablePointer(to: &x) { allreduceMax(UnsafeMutableBufferPointer(start: $0, count: 1)) }
        return x
    }

    /// The minimum of `value` over all ranks.
    public func allreduceMin(_ value: Double) -> Double {
        -allreduceMax(-value)
    }

    /// Element-wise sums over all ranks (same count on every rank).
    public func allreduceSum(_ values: [Double]) -> [Double] {
        var x = values
        x.withUnsafeMutableBufferPointer { allreduceSum($0) }
        return x
    }

    /// Element-wise sums over all ranks, in place (same count on every rank).
    public func allreduceSum(_ values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { allreduceSum($0) }
    }

    /// Copies `root`'s array into every rank's array (same count on every rank).
    public func broadcast(_ values: inout [Float], root: Int) {
        values.withUnsafeMutableBufferPointer { broadcast($0, root: root) }
    }

    /// `root`'s string on every rank; the other ranks' strings are ignored.
    public func broadcast(_ string: String, root: Int) -> String {
        String(decoding: broadcast(bytes: Array(string.utf8), root: root), as: UTF8.self)
    }

    /// Every rank's string, indexed by rank.
    public func allgather(_ string: String) -> [String] {
        allgather(bytes: Array(string.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every rank's record of Doubles, indexed by rank; records may differ in length.
    public func allgather(_ record: [Double]) -> [[Double]] {
        allgather(bytes: encodeDoubles(record)).map(decodeDoubles)
    }

    /// Every rank's value, indexed by rank.
    public func allgather(_ value: Double) -> [Double] {
        allgather([value]).map { $0.first ?? .nan }
    }
}

private func encodeDoubles(_ values: [Double]) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(values.count * 8)
    for v in values {
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }
    return bytes
}

private func decodeDoubles(_ bytes: [UInt8]) -> [Double] {
    stride(from: 0, to: bytes.count - bytes.count % 8, by: 8).map { start in
        var bits: UInt64 = 0
        for k in 0..<8 { bits |= UInt64(bytes[start + k]) << (8 * UInt64(k)) }
        return Double(bitPattern: bits)
    }
}
