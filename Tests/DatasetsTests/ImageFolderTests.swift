// The image-folder dataset on trees written here: classes sorted by name, test files in
// torchvision's order and training files in a fixed shuffle by name (so the validation tail holds
// every class), hidden files skipped, PNG/JPEG/PGM/PPM of mixed channel counts and sizes converted to the
// model's channels and resized, the test split's classes matched, and every bad input named.

import Core
import Datasets
import XCTest

final class ImageFolderTests: XCTestCase {
    /// 16x16 grey checkerboard of 2x2 blocks: block (bx, by) is white when bx + by is odd. Resized
    /// to 8x8 by area averaging it becomes a 1-pixel checkerboard exactly.
    private func checkerboard() -> [UInt8] {
        (0 ..< 256).map { ($0 % 16 / 2 + $0 / 16 / 2) % 2 == 1 ? 255 : 0 }
    }

    /// A flat colour image of `width` x `height` as (height, width, 3) bytes.
    private func flat(_ rgb: [UInt8], width: Int, height: Int) -> [UInt8] { (0 ..< width * height).flatMap { _ in rgb } }

    /// root/train/{ant, cat, dog} and root/test/{ant, cat, dog} with mixed formats, sizes and channels.
    private func writeTree(_ root: String) throws {
        for split in ["train", "test"] {
            let base = "\(root)/\(split)"
            try CatalogFixtures.put("\(base)/dog/b.pgm", CatalogFixtures.pgm(width: 16, height: 16, checkerboard()))
            try CatalogFixtures.put("\(base)/dog/a.ppm", CatalogFixtures.ppm(width: 12, height: 20, flat([200, 40, 10], width: 12, height: 20)))
            try CatalogFixtures.put("\(base)/dog/.DS_Store", [1, 2, 3])                  // hidden: skipped
            try CatalogFixtures.put("\(base)/cat/x.png", CatalogFixtures.png(width: 4, height: 4, channels: 3, flat([0, 0, 255], width: 4, height: 4)))
            try CatalogFixtures.put("\(base)/cat/.hidden/y.png", [0])                    // hidden folder: skipped
            try CatalogFixtures.put("\(base)/ant/g.png", CatalogFixtures.png(width: 16, height: 16, channels: 1, checkerboard()))
            try CatalogFixtures.put("\(base)/ant/j.jpg", try ImageFixtures.bytes("colour.jpg"))
            try CatalogFixtures.put("\(base)/.git/config", [0])                         // hidden class: skipped
            try CatalogFixtures.put("\(base)/README", Array("not a class".utf8))       // no class: ignored
        }
    }

    func testRGBFolderSortsClassesAndFilesAndConvertsEveryImage() throws {
        let root = try scratchDirectory(self)
        try writeTree(root)
        let loaded = try DatasetLoader.load(.folder, path: root, split: .test, input: (3, 8, 8))
        let set = loaded.images
        XCTAssertEqual(loaded.classNames, ["ant", "cat", "dog"])
        XCTAssertEqual([set.count, set.channels, set.height, set.width, set.classes], [5, 3, 8, 8, 3])
        XCTAssertEqual(set.labels, [0, 0, 1, 2, 2])        // ant: g.png, j.jpg; cat: x.png; dog: a.ppm, b.pgm
        let pixels = set.pixels, size = 3 * 64
        func image(_ i: Int, plane: Int) -> [UInt8] { Array(pixels[i * size + plane * 64 ..< i * size + (plane + 1) * 64]) }
        let board = (0 ..< 64).map { ($0 % 8 + $0 / 8) % 2 == 1 ? UInt8(255) : 0 }
        for plane in 0 ..< 3 {
            XCTAssertEqual(image(0, plane: plane), board, "grey PNG: resized 16 -> 8 and replicated in plane \(plane)")
            XCTAssertEqual(image(4, plane: plane), board, "PGM: resized and replicated in plane \(plane)")
            XCTAssertEqual(image(2, plane: plane), [UInt8](repeating: plane == 2 ? 255 : 0, count: 64), "RGB PNG plane \(plane)")
            XCTAssertEqual(image(3, plane: plane), [UInt8](repeating: [200, 40, 10][plane], count: 64), "PPM 12x20 plane \(plane)")
        }
        // colour.jpg: 16x16, quadrants red, green / blue, grey 200; at 8x8 each quadrant is 4x4
        let jpeg = (0 ..< 3).map { image(1, plane: $0) }
        let expected: [[Int]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [200, 200, 200]]
        for (q, (qx, qy)) in [(1, 1), (6, 1), (1, 6), (6, 6)].enumerated() {
            for plane in 0 ..< 3 {
                XCTAssertEqual(Double(jpeg[plane][qy * 8 + qx]), Double(expected[q][plane]), accuracy: 12, "JPEG quadrant \(q) plane \(plane)")
            }
        }
        // the training split holds the same (label, image) pairs in its shuffled order
        let train = try DatasetLoader.load(.folder, path: root, split: .train, input: (3, 8, 8)).images
        func pairs(_ s: ImageSet) -> [String] {
            (0 ..< s.count).map { i in "\(s.labels[i]):" + s.pixels[i * size ..< (i + 1) * size].map(String.init).joined(separator: ",") }
        }
        XCTAssertEqual(pairs(train).sorted(), pairs(set).sorted())
        XCTAssertEqual(try DatasetLoader.sourceFiles(.folder, path: root).count, 10)
    }

    func testGreyFolderTakesLuma() throws {
        let root = try scratchDirectory(self)
        try writeTree(root)
        let set = try DatasetLoader.load(.folder, path: root, split: .test, input: (1, 8, 8)).images
        XCTAssertEqual([set.channels, set.height, set.width], [1, 8, 8])
        let pixels = set.pixels
        let luma: Double = 0.299 * 200 + 0.587 * 40 + 0.114 * 10
        XCTAssertEqual(Array(pixels[3 * 64 ..< 4 * 64]), [UInt8](repeating: UInt8(luma.rounded()), count: 64),
                       "PPM: luma 0.299 R + 0.587 G + 0.114 B")
        XCTAssertEqual(Array(pixels[4 * 64 ..< 5 * 64]), (0 ..< 64).map { ($0 % 8 + $0 / 8) % 2 == 1 ? UInt8(255) : 0 })
    }

    func testNestedFilesFollowTorchvisionOrder() throws {
        let root = try scratchDirectory(self)
        let grey = CatalogFixtures.pgm(width: 1, height: 1, [0])
        // sorted(os.walk): "c", "c/a", "c/a-b", "c/a/x" (the whole folder path decides: '-' < '/'),
        // files by name within each
        for (path, value) in [("c/z.pgm", 10), ("c/a/x/m.pgm", 40), ("c/a-b/q.pgm", 20), ("c/a/p.pgm", 30), ("c/b.pgm", 5)] {
            try CatalogFixtures.put("\(root)/test/\(path)", CatalogFixtures.pgm(width: 1, height: 1, [UInt8(value)]))
        }
        try CatalogFixtures.put("\(root)/train/c/t.pgm", grey)
        let set = try DatasetLoader.load(.folder, path: root, split: .test, input: (1, 1, 1)).images
        XCTAssertEqual(set.pixels, [5, 10, 30, 20, 40])
    }

    /// The training split is stored in a fixed shuffle by file name, so the validation tail (the
    /// last data.validation images) samples every class; the order depends on the names alone.
    func testTrainingOrderMixesClassesIntoTheValidationTail() throws {
        let roots = [try scratchDirectory(self) + "/one", try scratchDirectory(self) + "/elsewhere/two"]
        var orders: [[UInt8]] = []
        for root in roots {
            for (k, name) in ["ant", "bee", "cat"].enumerated() {
                for i in 0 ..< 20 {
                    for split in ["train", "test"] {
                        try CatalogFixtures.put("\(root)/\(split)/\(name)/img\(i).pgm", CatalogFixtures.pgm(width: 1, height: 1, [UInt8(k * 20 + i)]))
                    }
                }
            }
            let train = try DatasetLoader.load(.folder, path: root, split: .train, input: (1, 1, 1)).images
            XCTAssertEqual(Set(train.labels.suffix(15)).count, 3, "the last 15 of 60 should hold every class: \(train.labels)")
            XCTAssertNotEqual(train.labels, train.labels.sorted(), "not class by class")
            for i in 0 ..< train.count { XCTAssertEqual(Int32(train.pixels[i]) / 20, train.labels[i], "image \(i) keeps its label") }
            orders.append(train.pixels)
        }
        XCTAssertEqual(orders[0], orders[1], "the order depends on the file names, not on where the folder is")
    }

    func testBadFoldersNameWhatIsWrong() throws {
        let root = try scratchDirectory(self)
        assertInputError(try DatasetLoader.load(.folder, path: root, split: .train, input: (3, 8, 8)),
                         mentions: "\(root)/train", "not a folder")
        try FileManager.default.createDirectory(atPath: root + "/train", withIntermediateDirectories: true)
        try CatalogFixtures.put(root + "/train/.hidden/a.pgm", CatalogFixtures.pgm(width: 1, height: 1, [0]))
        assertInputError(try DatasetLoader.load(.folder, path: root, split: .train, input: (3, 8, 8)),
                         mentions: "\(root)/train", "no class folders")
        try CatalogFixtures.put(root + "/train/cat/a.pgm", CatalogFixtures.pgm(width: 1, height: 1, [0]))
        try CatalogFixtures.put(root + "/train/dog/.keep", [])
        assertInputError(try DatasetLoader.load(.folder, path: root, split: .train, input: (3, 8, 8)),
                         mentions: "\(root)/train/dog", "empty class 'dog'")
        try CatalogFixtures.put(root + "/train/dog/notes.txt", Array("hello".utf8))
        assertInputError(try DatasetLoader.load(.folder, path: root, split: .train, input: (3, 8, 8)),
                         mentions: "\(root)/train/dog/notes.txt", "not an image")
        assertInputError(try DatasetLoader.sourceFiles(.folder, path: root), mentions: "\(root)/test", "not a folder")
        try FileManager.default.removeItem(atPath: root + "/train/dog/notes.txt")
        try CatalogFixtures.put(root + "/train/dog/d.pgm", CatalogFixtures.pgm(width: 1, height: 1, [0]))
        assertInputError(try DatasetLoader.load(.folder, path: root, split: .train, input: (2, 8, 8)),
                         mentions: root, "1 (grey) or 3 (RGB)", "has 2")
        try CatalogFixtures.put(root + "/test/cat/a.pgm", CatalogFixtures.pgm(width: 1, height: 1, [0]))
        try CatalogFixtures.put(root + "/test/emu/a.pgm", CatalogFixtures.pgm(width: 1, height: 1, [0]))
        assertInputError(try DatasetLoader.load(.folder, path: root, split: .test, input: (1, 8, 8)),
                         mentions: "\(root)/test", "only in test: emu", "only in train: dog")
    }
}
