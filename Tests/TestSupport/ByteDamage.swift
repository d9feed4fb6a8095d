// Seeded damage of binary files for the decoders' fuzz tests (IDX and gzip in IDXFuzzTests, PNG,
// JPEG and PGM in ImageDecoderFuzzTests): one or two of truncation, 1-4 byte flips (half of them
// in the first `header` bytes), a header field overwritten (how: the caller's, per format), and
// appended bytes (what: the caller's). The same seed gives the same damage.

import NN

public enum ByteDamage {
    public static func damage(_ input: [UInt8], header: Int, _ rng: inout SplitMix64,
                              overwriteHeaderField: (inout [UInt8], inout SplitMix64) -> Void,
                              trailingBytes: (inout SplitMix64) -> [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0 ..< (rng.next() % 4 == 0 ? 2 : 1) {
            switch rng.next() % 5 {
            case 0:
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
            case 1, 2:
                guard !bytes.isEmpty else { continue }
                for _ in 0 ..< Int(rng.next() % 4) + 1 {
                    let range = rng.next() % 2 == 0 ? min(header, bytes.count) : bytes.count
                    bytes[Int(rng.next() % UInt64(range))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
            case 3:
                overwriteHeaderField(&bytes, &rng)
            default:
                bytes += trailingBytes(&rng)
            }
        }
        return bytes
    }
}
