// The dataset readers on inputs built to hurt: an IDX header claiming terabytes (raw and gzipped)
// is refused before the cache reserves anything; an EMNIST header claiming 2^29 x 2^29 images
// likewise; a FIFO named like a data file is refused instead of blocking; a symlink loop in an
// image folder is refused on the first repeat; a dataset reached through another spelling of its
// path shares the cache file, and a source replaced by rename with the same size and mtime is
// read again (the key has the real path and the inode).

import Core
import Datasets
import Foundation
import XCTest

final class HostileInputTests: XCTestCase {
    /// The pixel cache files in `folder` (no lock files); [] when the folder does not exist.
    private func cacheFiles(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasSuffix(".lock") }.sorted()
    }

    func testIDXHeaderClaimingTerabytesIsRefusedBeforeReserving() throws {
        let cache = try useScratchCache(self)
        for gzip in [false, true] {
            let dir = try scratchDirectory(self)
            // 60,000 images of 8192 x 8192 (each exactly the 64 MiB limit): 4 TB, with 3 bytes of data
            let images = idxBytes(dims: [60000, 8192, 8192], payload: [1, 2, 3])
            let labels = idxBytes(dims: [60000], payload: [UInt8](repeating: 0, count: 60000))
            let suffix = gzip ? ".gz" : ""
            try writeFile("\(dir)/train-images-idx3-ubyte\(suffix)", gzip ? gzipBytes(images, scratch: dir) : images)
            try writeFile("\(dir)/train-labels-idx1-ubyte\(suffix)", gzip ? gzipBytes(labels, scratch: dir) : labels)
            assertInputError(try MNIST.load(directory: dir, split: .train),
                             mentions: "\(dir)/train-images-idx3-ubyte\(suffix)", "truncated", "60000x8192x8192",
                             gzip ? "gzip" : "found 3")
        }
        XCTAssertEqual(cacheFiles(cache), [], "nothing was reserved")
    }

    func testEMNISTHeaderClaimingHugeImagesIsRefusedBeforeAllocating() throws {
        try useScratchCache(self)
        for gzip in [false, true] {
            let dir = try scratchDirectory(self)
            // one image of 2^29 x 2^29 in a 16-byte file
            try CatalogFixtures.writeIDXPair(dir, images: "emnist-digits-train-images-idx3-ubyte", labels: "emnist-digits-train-labels-idx1-ubyte",
                                             dims: [1, 1 << 29, 1 << 29], pixels: [], labelBytes: [3], gzip: gzip)
            assertInputError(try DatasetLoader.load(.emnist(.digits), path: dir, split: .train, input: (1, 28, 28)),
                             mentions: "emnist-digits-train-images-idx3-ubyte", "truncated", "1x536870912x536870912")
            // a plausible shape with too little data: refused before anything is reserved too
            try CatalogFixtures.writeIDXPair(dir, images: "emnist-digits-train-images-idx3-ubyte", labels: "emnist-digits-train-labels-idx1-ubyte",
                                             dims: [2, 28, 28], pixels: [UInt8](repeating: 7, count: 28 * 28), labelBytes: [3, 4], gzip: gzip)
            assertInputError(try DatasetLoader.load(.emnist(.digits), path: dir, split: .train, input: (1, 28, 28)),
                             mentions: "emnist-digits-train-images-idx3-ubyte", "truncated", "2x28x28")
        }
    }

    func testFIFONamedLikeADataFileIsRefusedNotWaitedOn() throws {
        try useScratchCache(self)
        let dir = try scratchDirectory(self)
        try writeCIFAR10(dir, value: 1)
        let fifo = dir + "/data_batch_1.bin"
        XCTAssertEqual(unlink(fifo), 0)
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        assertInputError(try PosixFile.openRegular(fifo, what: "data file"), mentions: fifo, "regular data file", "FIFO")
        assertInputError(try readFileBytes(path: fifo), mentions: fifo, "FIFO")
        assertInputError(try DatasetLoader.load(.cifar10, path: dir, split: .train, input: (3, 32, 32)), mentions: fifo, "FIFO")
        let image = dir + "/train/cat/a.pgm"
        try FileManager.default.createDirectory(atPath: dir + "/train/cat", withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(image, 0o600), 0)
        assertInputError(try DatasetLoader.load(.folder, path: dir, split: .train, input: (1, 4, 4)), mentions: image, "FIFO")
    }

    func testSymlinkLoopInAClassIsRefusedOnTheFirstRepeat() throws {
        let root = try scratchDirectory(self)
        let grey = CatalogFixtures.pgm(width: 2, height: 2, [0, 64, 128, 255])
        try CatalogFixtures.put("\(root)/train/cat/a.pgm", grey)
        try CatalogFixtures.put("\(root)/elsewhere/b.pgm", grey)
        try FileManager.default.createDirectory(atPath: "\(root)/train/dog", withIntermediateDirectories: true)
        XCTAssertEqual(symlink("\(root)/elsewhere", "\(root)/train/dog/link"), 0)     // a link to a folder: followed
        let loaded = try DatasetLoader.load(.folder, path: root, split: .train, input: (1, 2, 2))
        XCTAssertEqual(loaded.images.labels, [0, 1])

        // two links to the class folder itself: without the visited set, 2^17 walks
        XCTAssertEqual(symlink(".", "\(root)/train/cat/x"), 0)
        XCTAssertEqual(symlink(".", "\(root)/train/cat/y"), 0)
        assertInputError(try DatasetLoader.load(.folder, path: root, split: .train, input: (1, 2, 2)),
                         mentions: "\(root)/train/cat/x", "already walked")
        assertInputError(try DatasetLoader.sourceFiles(.folder, path: root), mentions: "\(root)/train/cat/x")
    }

    /// CIFAR-10 with one record per batch; record pixels all `value`, label `label`.
    private func writeCIFAR10(_ dir: String, value: UInt8, label: UInt8 = 3) throws {
        for name in (1 ... 5).map({ "data_batch_\($0).bin" }) + ["test_batch.bin"] {
            try CatalogFixtures.put("\(dir)/\(name)", [label] + [UInt8](repeating: value, count: 3072))
        }
    }

    func testCacheKeyIsTheRealPathAndTheInode() throws {
        let cache = try useScratchCache(self)
        let root = try scratchDirectory(self)
        let dir = root + "/data"
        try writeCIFAR10(dir, value: 10)
        XCTAssertEqual(symlink(dir, root + "/link"), 0)
        let direct = try DatasetLoader.load(.cifar10, path: dir, split: .test, input: (3, 32, 32))
        let viaLink = try DatasetLoader.load(.cifar10, path: root + "/link/", split: .test, input: (3, 32, 32))
        XCTAssertEqual(viaLink.images.pixels, direct.images.pixels)
        XCTAssertEqual(cacheFiles(cache).count, 1, "two spellings of one folder share one cache file")

        // replace test_batch.bin by rename with a file of the same size and modification time
        let file = dir + "/test_batch.bin", replacement = dir + "/test_batch.new"
        var old = stat()
        XCTAssertEqual(stat(file, &old), 0)
        try writeFile(replacement, [5] + [UInt8](repeating: 200, count: 3072))
        let times = [old.st_atim, old.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, replacement, times, 0), 0)
        XCTAssertEqual(rename(replacement, file), 0)
        let reloaded = try DatasetLoader.load(.cifar10, path: dir, split: .test, input: (3, 32, 32))
        XCTAssertEqual(reloaded.images.labels, [5])
        XCTAssertEqual(reloaded.images.pixels, [UInt8](repeating: 200, count: 3072))
    }
}
