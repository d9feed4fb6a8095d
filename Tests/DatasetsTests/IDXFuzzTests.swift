// Fuzzing the data readers (issue 4): thousands of seeded truncations, byte flips, overwritten
// header fields and appended bytes of small valid IDX image and label files, raw and gzipped, go
// through parseIDX, readMaybeGzip + parseIDX and MNIST.load. Each either succeeds with a
// consistent result or throws an InputError naming the file: never a trap, never a hang (the loops
// have a time bound as a hang guard). Before each call the damaged bytes are on disk, so a crash
// leaves the exact input behind in $TMPDIR/dtrain-idx-fuzz-<pid>/ (removed when the test ends
// without crashing).

import Core
import Datasets
import Foundation
import NN
import TestSupport
import XCTest

final class IDXFuzzTests: XCTestCase {
    /// DTRAIN_FUZZ_SEED / DTRAIN_FUZZ_ITERATIONS explore further; the suite uses the fixed defaults.
    static let iterations = ProcessInfo.processInfo.environment["DTRAIN_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 2500
    static let seed = ProcessInfo.processInfo.environment["DTRAIN_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x1d8_f022
    static let timeLimit: TimeInterval = 60

    private static let count = 20, height = 5, width = 4

    /// The four valid inputs: images and labels, raw and gzipped.
    private struct Originals {
        var images: [UInt8], labels: [UInt8], imagesGz: [UInt8], labelsGz: [UInt8]
    }

    private var current = ""

    override func setUpWithError() throws {
        current = NSTemporaryDirectory() + "dtrain-idx-fuzz-\(getpid())"
        try FileManager.default.createDirectory(atPath: current, withIntermediateDirectories: true)
        let current = current
        addTeardownBlock { try? FileManager.default.removeItem(atPath: current) }   // a crash skips this: the input stays
    }

    private func originals(_ scratch: String) throws -> Originals {
        let n = Self.count, size = Self.height * Self.width
        let pixels = (0 ..< n * size).map { UInt8(($0 * 37 + 11) % 256) }
        let labels = (0 ..< n).map { UInt8($0 % 10) }
        let images = idxBytes(dims: [UInt32(n), UInt32(Self.height), UInt32(Self.width)], payload: pixels)
        let labelFile = idxBytes(dims: [UInt32(n)], payload: labels)
        return Originals(images: images, labels: labelFile,
                         imagesGz: try gzipBytes(images, scratch: scratch), labelsGz: try gzipBytes(labelFile, scratch: scratch))
    }

    /// A seeded damage of `input` (ByteDamage): a header field becomes a random or extreme u32,
    /// and the appended bytes are random or the start of another gzip member.
    private func damage(_ input: [UInt8], header: Int, _ rng: inout SplitMix64) -> [UInt8] {
        ByteDamage.damage(input, header: header, &rng, overwriteHeaderField: { bytes, rng in
            // a whole u32 of the header (magic or a dimension; for gzip: its header fields)
            let fields = max(1, min(header, bytes.count) / 4)
            let at = Int(rng.next() % UInt64(fields)) * 4
            guard at + 4 <= bytes.count else { return }
            let extremes: [UInt32] = [0, 1, 0xffff_ffff, 0x8000_0000, 0x7fff_ffff, 0x0001_0000,
                                      UInt32(truncatingIfNeeded: rng.next())]
            let v = extremes[Int(rng.next() % UInt64(extremes.count))]
            bytes.replaceSubrange(at ..< at + 4, with: [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)])
        }, trailingBytes: { rng in
            rng.next() % 2 == 0 ? [0x1f, 0x8b, 0x08] : (0 ..< Int(rng.next() % 8) + 1).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        })
    }

    /// Rewrites `path` in place (pwrite + ftruncate: creating thousands of files is slow on ext4).
    private func overwrite(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT, 0o644)
        guard fd >= 0 else { throw InputError("\(path): cannot open for writing") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count, ftruncate(fd, off_t(bytes.count)) == 0 else { throw InputError("\(path): write failed") }
    }

    /// Succeeds, or throws an InputError naming `file`; any other error fails the test.
    private func expectParsedOrRefused(_ what: String, file: String, iteration: Int,
                                       _ body: () throws -> IDXArray) -> Bool? {
        do {
            let array = try body()
            XCTAssertEqual(array.bytes.count, array.dims.reduce(1, *), "\(what) #\(iteration): payload does not match the dims")
            XCTAssertTrue(array.dims.allSatisfy { $0 > 0 }, "\(what) #\(iteration): a zero dimension was accepted")
            return true
        } catch let error as InputError {
            XCTAssertTrue(error.message.hasPrefix(file), "\(what) #\(iteration): message does not name \(file): \(error.message)")
            XCTAssertFalse(error.message.contains("\n"), "\(what) #\(iteration): message is not one line: \(error.message)")
            return false
        } catch {
            XCTFail("\(what) #\(iteration): not an InputError: \(error)")
            return nil
        }
    }

    /// parseIDX on the bytes, then readMaybeGzip + parseIDX on a file holding them, for all four
    /// kinds of input.
    func testDamagedFilesParseOrThrowInputError() throws {
        let scratch = try scratchDirectory(self)
        let o = try originals(scratch)
        let inputs: [(name: String, bytes: [UInt8], dims: Int, gzip: Bool)] = [
            ("images", o.images, 3, false), ("labels", o.labels, 1, false),
            ("images.gz", o.imagesGz, 3, true), ("labels.gz", o.labelsGz, 1, true),
        ]
        var rng = SplitMix64(seed: Self.seed)
        var parsed = 0, refused = 0, gzipParsed = 0, gzipRefused = 0
        let start = Date()
        for iteration in 0 ..< Self.iterations {
            let input = inputs[Int(rng.next() % UInt64(inputs.count))]
            // the IDX header is 4 + 4 x dims bytes; a gzip header is 10 bytes (+ trailer)
            let bytes = damage(input.bytes, header: input.gzip ? 10 : 4 + 4 * input.dims, &rng)
            let path = current + "/" + input.name
            try overwrite(path, bytes)
            // sometimes the wrong number of dimensions
            let dims = rng.next() % 8 == 0 ? 4 - input.dims : input.dims
            if !input.gzip {
                let r = expectParsedOrRefused("parseIDX(\(input.name))", file: path, iteration: iteration) {
                    try parseIDX(bytes, file: path, expectDims: dims)
                }
                if r == true { parsed += 1 } else if r == false { refused += 1 }
            }
            let r = expectParsedOrRefused("readMaybeGzip+parseIDX(\(input.name))", file: path, iteration: iteration) {
                try parseIDX(readMaybeGzip(path: path), file: path, expectDims: dims)
            }
            if input.gzip { if r == true { gzipParsed += 1 } else if r == false { gzipRefused += 1 } }
            if Date().timeIntervalSince(start) > Self.timeLimit {
                return XCTFail("hang guard: \(iteration + 1) iterations took over \(Self.timeLimit) s")
            }
        }
        print("IDX fuzz (seed \(Self.seed)): \(Self.iterations) damaged files in \(String(format: "%.2f", Date().timeIntervalSince(start))) s; "
              + "raw: \(parsed) parsed, \(refused) refused; gzip: \(gzipParsed) parsed, \(gzipRefused) refused")
        XCTAssertGreaterThan(parsed, 20, "no damaged raw file parsed: the damage is too coarse")
        XCTAssertGreaterThan(refused, 300)
        XCTAssertGreaterThan(gzipParsed, 5, "no damaged gzip file parsed (flips in unchecked header fields should)")
        XCTAssertGreaterThan(gzipRefused, 300)
    }

    /// MNIST.load on a folder holding one damaged file of a split (images or labels, raw or gzipped)
    /// beside a valid one: loads a consistent set (whose pixels then read back) or throws an
    /// InputError naming one of the split's files.
    func testDamagedSplitsLoadOrThrowInputError() throws {
        let scratch = try scratchDirectory(self)
        let o = try originals(scratch)
        // gzipped images are inflated into a cache: keep it inside the scratch folder
        let previousCache = ProcessInfo.processInfo.environment["DTRAIN_CACHE"]
        setenv("DTRAIN_CACHE", scratch + "/cache", 1)
        defer { if let previousCache { setenv("DTRAIN_CACHE", previousCache, 1) } else { unsetenv("DTRAIN_CACHE") } }

        let rawFolder = current + "/raw", gzFolder = current + "/gz"
        for folder in [rawFolder, gzFolder] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let imagesName = MNIST.Split.train.imagesFile, labelsName = MNIST.Split.train.labelsFile
        var rng = SplitMix64(seed: Self.seed ^ 0xabcd)
        var loaded = 0, refused = 0
        let start = Date()
        for iteration in 0 ..< Self.iterations {
            let gzip = rng.next() % 2 == 0
            let folder = gzip ? gzFolder : rawFolder
            let suffix = gzip ? ".gz" : ""
            let imagesPath = "\(folder)/\(imagesName)\(suffix)", labelsPath = "\(folder)/\(labelsName)\(suffix)"
            var images = gzip ? o.imagesGz : o.images, labels = gzip ? o.labelsGz : o.labels
            switch rng.next() % 3 {
            case 0: images = damage(images, header: gzip ? 10 : 16, &rng)
            case 1: labels = damage(labels, header: gzip ? 10 : 8, &rng)
            default:
                images = damage(images, header: gzip ? 10 : 16, &rng)
                labels = damage(labels, header: gzip ? 10 : 8, &rng)
            }
            try overwrite(imagesPath, images)
            try overwrite(labelsPath, labels)
            do {
                let set = try MNIST.load(directory: folder, split: .train)
                XCTAssertEqual(set.labels.count, set.count, "#\(iteration): labels and images differ in number")
                XCTAssertTrue(set.labels.allSatisfy { (0 ..< MNIST.classes).contains(Int($0)) }, "#\(iteration): label out of range")
                XCTAssertEqual(set.pixels.count, set.count * set.imageSize, "#\(iteration): pixels do not read back")
                loaded += 1
            } catch let error as InputError {
                XCTAssertTrue(error.message.contains(imagesPath) || error.message.contains(labelsPath),
                              "#\(iteration): message names neither file: \(error.message)")
                XCTAssertFalse(error.message.contains("\n"), "#\(iteration): message is not one line: \(error.message)")
                refused += 1
            } catch {
                XCTFail("#\(iteration): not an InputError: \(error)")
            }
            if Date().timeIntervalSince(start) > Self.timeLimit {
                return XCTFail("hang guard: \(iteration + 1) loads took over \(Self.timeLimit) s")
            }
        }
        print("MNIST.load fuzz (seed \(Self.seed)): \(Self.iterations) damaged splits in \(String(format: "%.2f", Date().timeIntervalSince(start))) s: \(loaded) loaded, \(refused) refused")
        XCTAssertGreaterThan(loaded, 10)
        XCTAssertGreaterThan(refused, 500)
    }
}
