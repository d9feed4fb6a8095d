// Fuzzing the image decoders: seeded truncations, byte flips, overwritten header fields and
// appended bytes of small valid PNG, JPEG and PGM files go through ImageDecoder.decode(path:).
// Each either decodes to a consistent image (sizes agree, pixels finite in 0...1) or throws an
// InputError naming the file: never a trap, never a hang (the loop has a time bound as a hang
// guard). PNG header overwrites get a fresh IHDR CRC half the time, so they reach libpng's checks
// instead of stopping at the CRC. The damaged bytes are on disk before each call, so a crash
// leaves the exact input behind in $TMPDIR/dtrain-image-fuzz-<pid>/ (removed when the test ends
// without crashing). The pixel limit is 1 M so a damaged header claiming a few megapixels is
// refused cheaply instead of decoding padding.

import Core
import Datasets
import Foundation
import NN
import TestSupport
import XCTest

final class ImageDecoderFuzzTests: XCTestCase {
    /// DTRAIN_FUZZ_SEED / DTRAIN_FUZZ_ITERATIONS explore further; the suite uses the fixed defaults.
    static let iterations = ProcessInfo.processInfo.environment["DTRAIN_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 1500
    static let seed = ProcessInfo.processInfo.environment["DTRAIN_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x1a6e_de0d
    static let timeLimit: TimeInterval = 60

    private var current = ""

    override func setUpWithError() throws {
        current = NSTemporaryDirectory() + "dtrain-image-fuzz-\(getpid())"
        try FileManager.default.createDirectory(atPath: current, withIntermediateDirectories: true)
        let current = current
        addTeardownBlock { try? FileManager.default.removeItem(atPath: current) }   // a crash skips this: the input stays
    }

    private enum Kind { case png, jpeg, pgm }

    func testDamagedPNGsDecodeOrThrowInputError() throws {
        try fuzz(.png, originals: [try ImageFixtures.bytes("rgba.png"), try ImageFixtures.bytes("palette_trns.png"),
                                   try ImageFixtures.bytes("gray16.png")])
    }

    func testDamagedJPEGsDecodeOrThrowInputError() throws {
        try fuzz(.jpeg, originals: [try ImageFixtures.bytes("colour.jpg"), try ImageFixtures.bytes("progressive.jpg"),
                                    try ImageFixtures.bytes("orient6.jpg")])
    }

    func testDamagedPGMsDecodeOrThrowInputError() throws {
        let samples = (0 ..< 24).map { ($0 * 37 + 5) % 256 }
        try fuzz(.pgm, originals: [Array("P5\n# fuzz\n6 4\n255\n".utf8) + samples.map { UInt8($0) },
                                   Array("P2 6 4 255\n".utf8) + Array(samples.map(String.init).joined(separator: " ").utf8),
                                   Array("P5 3 2 65535\n".utf8) + samples.prefix(12).map { UInt8($0) }])
    }

    private func fuzz(_ kind: Kind, originals: [[UInt8]]) throws {
        var rng = SplitMix64(seed: Self.seed, UInt64(originals.count), kind == .png ? 1 : kind == .jpeg ? 2 : 3)
        let path = current + "/damaged-\(kind)"
        var decoded = 0, refused = 0
        let start = Date()
        for iteration in 0 ..< Self.iterations {
            let original = originals[Int(rng.next() % UInt64(originals.count))]
            let bytes = damage(original, kind, &rng)
            try overwrite(path, bytes)
            let options = ImageDecodeOptions(maxPixels: 1 << 20, reduceLongestSideTo: rng.next() % 4 == 0 ? Int(rng.next() % 12) : nil)
            do {
                let d = try ImageDecoder.decode(path: path, options: options)
                let f = Int(d.scale)
                XCTAssertEqual(Double(f), d.scale, "#\(iteration): scale is not an integer factor")
                XCTAssertTrue(d.originalWidth > 0 && d.originalHeight > 0, "#\(iteration): zero size accepted")
                XCTAssertEqual([d.image.width, d.image.height], [(d.originalWidth + f - 1) / f, (d.originalHeight + f - 1) / f],
                               "#\(iteration): reduced size does not follow from the original and the scale")
                XCTAssertTrue(d.image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "#\(iteration): a pixel outside 0...1 or NaN")
                decoded += 1
            } catch let error as InputError {
                XCTAssertTrue(error.message.hasPrefix(path + ": "), "#\(iteration): message does not name \(path): \(error.message)")
                XCTAssertFalse(error.message.contains("\n"), "#\(iteration): message is not one line: \(error.message)")
                refused += 1
            } catch {
                XCTFail("#\(iteration): not an InputError: \(error)")
            }
            if Date().timeIntervalSince(start) > Self.timeLimit {
                return XCTFail("hang guard: \(iteration + 1) decodes took over \(Self.timeLimit) s")
            }
        }
        print("image fuzz \(kind) (seed \(Self.seed)): \(Self.iterations) damaged files in "
              + "\(String(format: "%.2f", Date().timeIntervalSince(start))) s: \(decoded) decoded, \(refused) refused")
        XCTAssertGreaterThan(decoded, Self.iterations / 20, "almost nothing decoded: the damage is too coarse")
        XCTAssertGreaterThan(refused, Self.iterations / 4, "almost nothing refused: the damage is too gentle")
    }

    /// A seeded damage (ByteDamage, header: the first 40 bytes): a header field of the format
    /// overwritten with an extreme value, or 1-16 random bytes appended.
    private func damage(_ input: [UInt8], _ kind: Kind, _ rng: inout SplitMix64) -> [UInt8] {
        ByteDamage.damage(input, header: 40, &rng, overwriteHeaderField: { bytes, rng in
            switch kind {
            case .png: overwritePNGHeader(&bytes, &rng)
            case .jpeg: overwriteJPEGHeader(&bytes, &rng)
            case .pgm: overwritePGMHeader(&bytes, &rng)
            }
        }, trailingBytes: { rng in
            (0 ..< Int(rng.next() % 16) + 1).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        })
    }

    private static let extremes: [UInt32] = [0, 1, 2, 3, 7, 8, 16, 255, 256, 0xffff, 0x1_0000, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff]

    private func extreme(_ rng: inout SplitMix64) -> UInt32 {
        rng.next() % 3 == 0 ? UInt32(truncatingIfNeeded: rng.next()) : Self.extremes[Int(rng.next() % UInt64(Self.extremes.count))]
    }

    /// IHDR (data at 16...28): width, height as u32; bit depth, colour type, compression, filter,
    /// interlace as u8. Half the time the chunk's CRC is recomputed.
    private func overwritePNGHeader(_ bytes: inout [UInt8], _ rng: inout SplitMix64) {
        guard bytes.count >= 33 else { return }
        if rng.next() % 3 < 2 {
            let field = 16 + 4 * Int(rng.next() % 2)                         // width or height
            bytes.replaceSubrange(field ..< field + 4, with: ImageFixtures.bigEndian32(extreme(&rng)))
        } else {
            bytes[24 + Int(rng.next() % 5)] = UInt8(truncatingIfNeeded: extreme(&rng))
        }
        guard rng.next() % 2 == 0 else { return }
        let chunk = ImageFixtures.pngChunk("IHDR", Array(bytes[16 ..< 29]))
        bytes.replaceSubrange(8 ..< 33, with: chunk)
    }

    /// A u16 in the first 10 bytes of a SOF, DQT, DHT, SOS or APP1 segment (lengths, precision,
    /// height, width, component counts and ids, table classes), set to an extreme value.
    private func overwriteJPEGHeader(_ bytes: inout [UInt8], _ rng: inout SplitMix64) {
        let markers: [UInt8] = [0xC0, 0xC2, 0xDB, 0xC4, 0xDA, 0xE1]
        guard let at = ImageFixtures.jpegSegment(bytes, markers[Int(rng.next() % UInt64(markers.count))]) else { return }
        let field = at + 2 + Int(rng.next() % 9)
        guard field + 2 <= bytes.count else { return }
        let v = extreme(&rng)
        bytes[field] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[field + 1] = UInt8(truncatingIfNeeded: v)
    }

    /// One of the header's numbers (width, height, maxval) replaced by an extreme decimal.
    private func overwritePGMHeader(_ bytes: inout [UInt8], _ rng: inout SplitMix64) {
        var numbers: [Range<Int>] = []
        var at = 2
        while numbers.count < 3, at < bytes.count {
            if bytes[at] == UInt8(ascii: "#") {
                while at < bytes.count, bytes[at] != 0x0A { at += 1 }
            } else if (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(bytes[at]) {
                let s = at
                while at < bytes.count, (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
                numbers.append(s ..< at)
            } else {
                at += 1
            }
        }
        guard !numbers.isEmpty else { return }
        let texts = ["0", "1", "255", "256", "65535", "65536", "99999", "999999999", "4294967296", "-1", "", "1e3"]
        let text = rng.next() % 4 == 0 ? String(extreme(&rng)) : texts[Int(rng.next() % UInt64(texts.count))]
        bytes.replaceSubrange(numbers[Int(rng.next() % UInt64(numbers.count))], with: Array(text.utf8))
    }

    /// Rewrites `path` in place (pwrite + ftruncate: creating thousands of files is slow on ext4).
    private func overwrite(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT, 0o644)
        guard fd >= 0 else { throw InputError("\(path): cannot open for writing") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count, ftruncate(fd, off_t(bytes.count)) == 0 else { throw InputError("\(path): write failed") }
    }
}
