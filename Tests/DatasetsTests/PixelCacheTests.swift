// PixelCache: a key's pixels are built once by `fill` and mapped from then on; a short or damaged
// cache file (bad header, impossible sides, labels out of range, another class count) is rebuilt;
// a failed fill leaves nothing behind; builders racing on one key (threads with separate lock
// descriptors, as processes have) fill it once and all map the one file; the folder is per user,
// private, and refused when shared or foreign; stale temporaries are removed; a mapped set gathers
// exactly as the same set in memory; per-channel statistics (data.normalize: auto) against a hand
// computation, cached next to the pixels.

import Core
import Datasets
import Foundation
import XCTest

final class PixelCacheTests: XCTestCase {
    /// Counts fills across threads.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add() { lock.lock(); n += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    }

    /// 7 images of 3x2x4 with pixel (i, k) = (i * 31 + k * 5) mod 256.
    let pattern: [UInt8] = (0 ..< 7 * 24).map { (k: Int) -> UInt8 in UInt8((k / 24 * 31 + k % 24 * 5) % 256) }
    let labels: [Int32] = [0, 1, 2, 3, 4, 5, 6]

    func cached(_ key: String, fills: Counter, pixels: [UInt8]? = nil) throws -> ImageSet {
        let source = pixels ?? pattern
        return try PixelCache.imageSet(key: key, labels: labels, classes: 10, channels: 3, height: 2, width: 4) { out in
            fills.add()
            XCTAssertEqual(out.count, source.count)
            _ = out.update(from: source)
        }
    }

    func cacheFiles(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasSuffix(".lock") }.sorted()
    }

    func testBuildsOnceThenMaps() throws {
        let folder = try useScratchCache(self)
        let fills = Counter()
        let first = try cached("test|a", fills: fills)
        XCTAssertTrue(first.isMapped)
        XCTAssertEqual([first.count, first.channels, first.height, first.width], [7, 3, 2, 4])
        XCTAssertEqual(first.pixels, pattern)
        XCTAssertEqual(first.labels, labels)
        let again = try cached("test|a", fills: fills, pixels: [UInt8](repeating: 9, count: pattern.count))
        XCTAssertEqual(fills.value, 1, "the second load maps the file the first one wrote")
        XCTAssertEqual(again.pixels, pattern)
        XCTAssertEqual(try cacheFiles(folder).count, 1)
        XCTAssertEqual(first.subset(2 ..< 5).pixels, Array(pattern[2 * 24 ..< 5 * 24]))
        XCTAssertTrue(first.subset(2 ..< 5).isMapped)
        _ = try cached("test|b", fills: fills)
        XCTAssertEqual(fills.value, 2, "another key, another file")
        XCTAssertEqual(try cacheFiles(folder).count, 2)
    }

    /// A labelled set (a decoded dataset) is filled once, in place, and mapped with its labels from
    /// then on; a label out of range in the file (damage) or another class count for the same key
    /// makes it be rebuilt; a label out of range from `fill` is an InputError naming the key.
    func testLabelledSetIsBuiltOnceAndKeepsItsLabels() throws {
        let folder = try useScratchCache(self)
        let fills = Counter()
        let sourceLabels: [Int32] = [6, 5, 4, 3, 2, 1, 0]
        func load(classes: Int = 7) throws -> ImageSet {
            try PixelCache.labelledSet(key: "test|labelled", count: 7, classes: classes, channels: 3, height: 2, width: 4) { pixels, labels in
                fills.add()
                XCTAssertEqual(pixels.count, self.pattern.count)
                XCTAssertEqual(labels.count, 7)
                _ = pixels.update(from: self.pattern)
                _ = labels.update(from: sourceLabels)
            }
        }
        let first = try load()
        XCTAssertTrue(first.isMapped)
        XCTAssertEqual(first.pixels, pattern)
        XCTAssertEqual(first.labels, sourceLabels)
        XCTAssertEqual(first.classes, 7)
        XCTAssertEqual(try load().labels, sourceLabels)
        XCTAssertEqual(fills.value, 1, "the second load maps the file, labels included")
        let file = folder + "/" + (try cacheFiles(folder)).first!
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int, 4096 + pattern.count + 4 * 7)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: file))
        try handle.seek(toOffset: UInt64(4096 + pattern.count))
        try handle.write(contentsOf: Foundation.Data([99, 0, 0, 0]))     // label 99 of 7 classes
        try handle.close()
        XCTAssertEqual(try load().labels, sourceLabels)
        XCTAssertEqual(fills.value, 2, "a file with a label out of range is rebuilt")
        let nine = try load(classes: 9)
        XCTAssertEqual(nine.classes, 9, "a file for 7 classes is never handed to a caller that needs 9")
        XCTAssertEqual(fills.value, 3)
        XCTAssertEqual(try cacheFiles(folder).count, 1)

        assertInputError(try PixelCache.labelledSet(key: "test|bad", count: 2, classes: 2, channels: 1, height: 1, width: 1) { _, labels in
            labels[0] = 1
            labels[1] = 2
        }, mentions: "test|bad", "label 2", "0..<2")
        XCTAssertEqual(try cacheFiles(folder).count, 1, "a failed fill leaves no file")
        assertInputError(try PixelCache.labelledSet(key: "test|none", count: 0, classes: 0, channels: 1, height: 1, width: 1) { _, _ in },
                         mentions: "test|none", "classes")
    }

    /// A header whose sides are 0, or whose C x H x W is over the per-image limit or overflows, is
    /// not trusted (no size is computed from it): the file is rebuilt.
    func testHeaderWithImpossibleSidesIsRebuilt() throws {
        let folder = try useScratchCache(self)
        let fills = Counter()
        func load() throws -> ImageSet {
            try PixelCache.labelledSet(key: "test|sides", count: 7, classes: 7, channels: 3, height: 2, width: 4) { pixels, labels in
                fills.add()
                _ = pixels.update(from: self.pattern)
                _ = labels.update(from: self.labels)
            }
        }
        _ = try load()
        let file = folder + "/" + (try cacheFiles(folder)).first!
        // (offset, u32): channels 0; height 0; width 2^31 with channels 2^31 (the product overflows 64 bits
        // once the count is in); width 2^27 (over 64 MiB per image)
        let patches: [[(Int, UInt32)]] = [[(24, 0)], [(28, 0)], [(24, 1 << 31), (32, 1 << 31)], [(32, 1 << 27)]]
        for (n, patch) in patches.enumerated() {
            let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: file))
            for (offset, value) in patch {
                try handle.seek(toOffset: UInt64(offset))
                try handle.write(contentsOf: Foundation.Data(withUnsafeBytes(of: value.littleEndian) { Array($0) }))
            }
            try handle.close()
            let set = try load()
            XCTAssertEqual(fills.value, n + 2, "patch \(patch) is rebuilt")
            XCTAssertEqual([set.count, set.channels, set.height, set.width], [7, 3, 2, 4])
            XCTAssertEqual(set.pixels, pattern)
        }
    }

    /// The default folder is one per user; $XDG_CACHE_HOME/dtrain and $DTRAIN_CACHE as before.
    func testDefaultFolderIsPerUser() throws {
        let env = ProcessInfo.processInfo.environment
        let saved = (env["DTRAIN_CACHE"], env["XDG_CACHE_HOME"])
        defer {
            if let v = saved.0 { setenv("DTRAIN_CACHE", v, 1) } else { unsetenv("DTRAIN_CACHE") }
            if let v = saved.1 { setenv("XDG_CACHE_HOME", v, 1) } else { unsetenv("XDG_CACHE_HOME") }
        }
        unsetenv("DTRAIN_CACHE")
        unsetenv("XDG_CACHE_HOME")
        XCTAssertEqual(PixelCache.root(), "/tmp/dtrain-cache-\(geteuid())")
        setenv("XDG_CACHE_HOME", "/home/u/.cache", 1)
        XCTAssertEqual(PixelCache.root(), "/home/u/.cache/dtrain")
        setenv("DTRAIN_CACHE", "/scratch/cache", 1)
        XCTAssertEqual(PixelCache.root(), "/scratch/cache")
    }

    /// The folder is created 0700; one that group or others can write, or that another user owns,
    /// is refused with one line naming it and DTRAIN_CACHE.
    func testFolderIsPrivateAndASharedOrForeignOneIsRefused() throws {
        let folder = try useScratchCache(self)
        let fills = Counter()
        _ = try cached("test|mode", fills: fills)
        var info = stat()
        XCTAssertEqual(stat(folder, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700)
        for mode: mode_t in [0o777, 0o775, 0o757] {
            XCTAssertEqual(chmod(folder, mode), 0)
            assertInputError(try cached("test|mode", fills: fills), mentions: folder, "DTRAIN_CACHE", "writable by group or others")
        }
        XCTAssertEqual(chmod(folder, 0o755), 0)
        XCTAssertTrue(try cached("test|mode", fills: fills).isMapped)
        XCTAssertEqual(fills.value, 1, "an owned folder that only its owner can write is used")
        if geteuid() == 0 {                                    // only root can give a folder away
            XCTAssertEqual(chown(folder, 4242, 4242), 0)
            assertInputError(try cached("test|mode", fills: fills), mentions: folder, "DTRAIN_CACHE", "uid 4242")
            XCTAssertEqual(chown(folder, 0, 0), 0)
        }
        let file = folder + "-file"
        try writeFile(file, [1])
        setenv("DTRAIN_CACHE", file, 1)
        assertInputError(try cached("test|mode", fills: fills), mentions: file, "DTRAIN_CACHE")
    }

    /// Temporaries that killed builds left next to a key's file are removed by the next build of
    /// that key; other keys' temporaries are left to their own builds.
    func testStaleTemporariesOfAKilledBuildAreRemoved() throws {
        let folder = try useScratchCache(self)
        let fills = Counter()
        do { _ = try cached("test|temps", fills: fills) }
        let name = try XCTUnwrap(try cacheFiles(folder).first)
        XCTAssertEqual(unlink(folder + "/" + name), 0)
        let other = "pixels-0000000000000000.tmp-5-6"
        for stale in [name + ".tmp-999-123", name + ".tmp-1-2", other] { try writeFile(folder + "/" + stale, [1, 2, 3]) }
        XCTAssertEqual(try cached("test|temps", fills: fills).pixels, pattern)
        XCTAssertEqual(fills.value, 2)
        XCTAssertEqual(try cacheFiles(folder), [name, other].sorted())
    }

    /// A cache file that is short, has a damaged header, or holds another shape is rebuilt.
    func testShortOrDamagedFileIsRebuilt() throws {
        let folder = try useScratchCache(self)
        let fills = Counter()
        do { _ = try cached("test|damage", fills: fills) }         // unmapped again at the end of this scope
        let file = folder + "/" + (try cacheFiles(folder)).first!
        let full = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
        XCTAssertEqual(full, 4096 + pattern.count)

        XCTAssertEqual(truncate(file, off_t(full - 1)), 0)
        XCTAssertEqual(try cached("test|damage", fills: fills).pixels, pattern)
        XCTAssertEqual(fills.value, 2, "a short file is rebuilt")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int, full)

        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: file))
        try handle.write(contentsOf: Foundation.Data("XXXX".utf8))    // over the magic
        try handle.close()
        XCTAssertEqual(try cached("test|damage", fills: fills).pixels, pattern)
        XCTAssertEqual(fills.value, 3, "a damaged header is rebuilt")

        let other = try PixelCache.imageSet(key: "test|damage", labels: labels, classes: 10, channels: 1, height: 6, width: 4) {
            fills.add(); _ = $0.update(from: pattern)
        }
        XCTAssertEqual(fills.value, 4, "the same key with another shape is rebuilt")
        XCTAssertEqual(other.pixels, pattern)
        XCTAssertEqual(try cacheFiles(folder), [(file as NSString).lastPathComponent], "no temporary file is left")
    }

    func testFailedFillLeavesNoFile() throws {
        let folder = try useScratchCache(self)
        assertInputError(try PixelCache.imageSet(key: "test|fails", labels: labels, classes: 10, channels: 3, height: 2, width: 4) { _ in
            throw InputError("source.bin: truncated")
        }, mentions: "source.bin")
        XCTAssertEqual(try cacheFiles(folder), [])
        assertInputError(try PixelCache.imageSet(key: "test|zero", labels: labels, classes: 10, channels: 0, height: 2, width: 4) { _ in },
                         mentions: "test|zero", "0x2x4")
    }

    /// Four builders at once (threads, each with its own lock descriptor, as separate processes
    /// would have): one fills, the others wait on the lock and map its file.
    func testConcurrentBuildersFillOnce() throws {
        let folder = try useScratchCache(self)
        let fills = Counter()
        let results = (0 ..< 4).map { _ in Counter() }
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            let set = try? PixelCache.imageSet(key: "test|race", labels: labels, classes: 10, channels: 3, height: 2, width: 4) { out in
                fills.add()
                usleep(100_000)                 // hold the lock long enough for the others to queue on it
                _ = out.update(from: pattern)
            }
            if set?.pixels == pattern && set?.isMapped == true { results[t].add() }
        }
        XCTAssertEqual(results.map(\.value), [1, 1, 1, 1], "every builder got the pixels")
        XCTAssertEqual(fills.value, 1, "exactly one builder filled the file")
        XCTAssertEqual(try cacheFiles(folder).count, 1)
    }

    /// A mapped set gathers bit for bit as the same set in memory: plain, normalised per channel,
    /// and augmented.
    func testMappedGatherEqualsMemoryGather() throws {
        try useScratchCache(self)
        let memory = ImageSet(channels: 3, height: 2, width: 4, pixels: pattern, labels: labels, classes: 10)
        let mapped = try PixelCache.imageSet(key: "test|gather", from: memory)
        XCTAssertTrue(mapped.isMapped)
        let indices: [Int32] = [6, 0, 3, 3, 1]
        let norm = Normalization(mean: [0.4, 0.5, 0.6], std: [0.2, 0.3, 0.25])
        let augmenter = Augmenter(Augmentation(cropPad: 1, flip: true), seed: 5, channels: 3, height: 2, width: 4)
        for (normalization, aug) in [(nil, nil), (norm, nil), (norm, augmenter)] as [(Normalization?, Augmenter?)] {
            func gather(_ set: ImageSet) throws -> ([Float], [Int32]) {
                var x = [Float](repeating: .nan, count: indices.count * set.imageSize)
                var got = [Int32](repeating: -1, count: indices.count)
                try indices.withUnsafeBufferPointer {
                    try gatherSamples(set, indices: $0, into: &x, labels: &got, normalization: normalization, augmenter: aug, epoch: 2)
                }
                return (x, got)
            }
            let (a, la) = try gather(memory), (b, lb) = try gather(mapped)
            XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern))
            XCTAssertEqual(la, [6, 0, 3, 3, 1])
            XCTAssertEqual(lb, la)
            XCTAssertFalse(a.contains { $0.isNaN })
        }
        let part = mapped.subset(1 ..< 4), memoryPart = memory.subset(1 ..< 4)
        XCTAssertEqual(part.pixels, memoryPart.pixels)
    }

    /// data.normalize: auto's numbers: population mean and std per channel of p / 255, by hand.
    func testChannelStatisticsAgainstHandComputation() throws {
        let folder = try useScratchCache(self)
        let memory = ImageSet(channels: 3, height: 2, width: 4, pixels: pattern, labels: labels, classes: 10)
        func byHand(_ set: ImageSet) -> (mean: [Double], std: [Double]) {
            var mean: [Double] = [], std: [Double] = []
            let pixels = set.pixels
            for c in 0 ..< 3 {
                var values: [Double] = []
                for i in 0 ..< set.count { for k in 0 ..< 8 { values.append(Double(pixels[i * 24 + c * 8 + k]) / 255) } }
                let m = values.reduce(0, +) / Double(values.count)
                mean.append(m)
                std.append((values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count)).squareRoot())
            }
            return (mean, std)
        }
        let hand = byHand(memory)
        let measured = try Normalization.measured(from: memory, key: "run.yaml: data.normalize")
        for c in 0 ..< 3 {
            XCTAssertEqual(Double(measured.mean[c]), hand.mean[c], accuracy: 1e-6)
            XCTAssertEqual(Double(measured.std[c]), hand.std[c], accuracy: 1e-6)
        }
        XCTAssertNotEqual(measured.mean[0], measured.mean[1])

        // a mapped training split: the same numbers, then read from the file cached next to the pixels
        let mapped = try PixelCache.imageSet(key: "test|stats", from: memory).subset(0 ..< 5)
        let first = try Normalization.measured(from: mapped, key: "run.yaml: data.normalize")
        let partHand = byHand(memory.subset(0 ..< 5))
        for c in 0 ..< 3 { XCTAssertEqual(Double(first.mean[c]), partHand.mean[c], accuracy: 1e-6) }
        let stats = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.contains(".stats-0-5") })
        try Foundation.Data("mean 0.5 0.25 0.125\nstd 1 2 4\n".utf8).write(to: URL(fileURLWithPath: folder + "/" + stats))
        XCTAssertEqual(try Normalization.measured(from: mapped, key: "k"), Normalization(mean: [0.5, 0.25, 0.125], std: [1, 2, 4]),
                       "the cached numbers are used")

        let flat = ImageSet(channels: 1, height: 1, width: 2, pixels: [7, 7, 7, 7], labels: [0, 1], classes: 10)
        assertInputError(try Normalization.measured(from: flat, key: "run.yaml: data.normalize"),
                         mentions: "run.yaml: data.normalize", "channel 0", "constant")
    }
}
