// Seeded text mutations of YAML inputs for the fuzz tests of model specs (NNTests) and run
// configs (TrainingTests): truncation, byte flips, deleted/duplicated/swapped lines and extreme
// numbers. Lives in TestSupport, the library target the test targets share.

import Core
import NN

/// Seeded text mutations of a YAML file, as bytes.
public enum YAMLMutator {
    /// Integers and numbers that break naive arithmetic (overflow, zero, negative, non-finite).
    public static let extremes = ["0", "-1", "-9223372036854775808", "9223372036854775807", "4611686018427387904",
                           "2147483648", "3037000500", "99999999999999999999", "1e308", "-1e308", ".nan", ".inf",
                           "0x7fffffffffffffff", "1_000_000_000_000", "65536", "1000000"]

    public static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> (bytes: [UInt8], how: String) {
        var bytes = input
        var how: [String] = []
        for _ in 0..<(Int(rng.next() % 3) + 1) {
            switch rng.next() % 6 {
            case 0:
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
                how.append("truncate")
            case 1:
                guard !bytes.isEmpty else { continue }
                for _ in 0..<(Int(rng.next() % 4) + 1) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
                how.append("flip")
            case 2:
                var lines = split(bytes)
                guard !lines.isEmpty else { continue }
                for _ in 0..<(Int(rng.next() % 3) + 1) where !lines.isEmpty {
                    lines.remove(at: Int(rng.next() % UInt64(lines.count)))
                }
                bytes = join(lines)
                how.append("delete-lines")
            case 3:
                var lines = split(bytes)
                guard !lines.isEmpty else { continue }
                for _ in 0..<(Int(rng.next() % 3) + 1) {
                    let i = Int(rng.next() % UInt64(lines.count))
                    lines.insert(lines[i], at: Int(rng.next() % UInt64(lines.count + 1)))
                }
                bytes = join(lines)
                how.append("duplicate-lines")
            case 4:
                var lines = split(bytes)
                guard lines.count >= 2 else { continue }
                lines.swapAt(Int(rng.next() % UInt64(lines.count)), Int(rng.next() % UInt64(lines.count)))
                bytes = join(lines)
                how.append("swap-lines")
            default:
                // replace one run of digits by an extreme number
                let starts = bytes.indices.filter { isDigit(bytes[$0]) && ($0 == 0 || !isDigit(bytes[$0 - 1])) }
                guard !starts.isEmpty else { continue }
                let s = starts[Int(rng.next() % UInt64(starts.count))]
                var e = s
                while e < bytes.count && isDigit(bytes[e]) { e += 1 }
                bytes.replaceSubrange(s..<e, with: Array(extremes[Int(rng.next() % UInt64(extremes.count))].utf8))
                how.append("extreme-number")
            }
        }
        return (bytes, how.isEmpty ? "none" : how.joined(separator: "+"))
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func split(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: 0x0a, omittingEmptySubsequences: false)
    }
    private static func join(_ lines: [ArraySlice<UInt8>]) -> [UInt8] {
        Array(lines.joined(separator: [0x0a]))
    }
}
