// CIFAR-10 and CIFAR-100, binary version (Krizhevsky 2009). CIFAR-10: data_batch_1.bin ...
// data_batch_5.bin (train) and test_batch.bin, records of 3073 bytes: label (0...9), then 3072
// pixels as three 32x32 planes R, G, B, row-major — already (C, H, W). CIFAR-100: train.bin and
// test.bin, records of 3074 bytes: coarse label (0...19), fine label (0...99), pixels.
// The folder is data.path itself or its cifar-10-batches-bin / cifar-100-binary subfolder (as the
// archives unpack). Class names come from batches.meta.txt / fine_label_names.txt /
// coarse_label_names.txt (one per line, blank lines ignored) when present, else CIFAR-10's ten
// standard names (airplane ... truck) or CIFAR-100's "0", "1", ... The record counts come from the
// file sizes, so the records are decoded straight into the PixelCache file through
// DatasetLoader.materialise. A file whose size is not a positive multiple of the record, or a
// label out of range, is an InputError naming the file.

import Core
import Foundation

enum CIFAR {
    enum Variant: Equatable {
        case cifar10
        case cifar100(CIFAR100Labels)

        var title: String { self == .cifar10 ? "CIFAR-10" : "CIFAR-100" }
        /// The title with the label kind: "CIFAR-10", "CIFAR-100 fine", "CIFAR-100 coarse".
        var labelsTitle: String {
            if case .cifar100(let labels) = self { return "CIFAR-100 \(labels.rawValue)" } else { return title }
        }
        var subfolder: String { self == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary" }
        /// Label bytes before the pixels of each record.
        var labelBytes: Int { self == .cifar10 ? 1 : 2 }
        var recordSize: Int { labelBytes + pixelsPerImage }

        func files(_ split: DataSplit) -> [String] {
            switch (self, split) {
            case (.cifar10, .train): return (1 ... 5).map { "data_batch_\($0).bin" }
            case (.cifar10, .test): return ["test_batch.bin"]
            case (.cifar100, .train): return ["train.bin"]
            case (.cifar100, .test): return ["test.bin"]
            }
        }

        /// Which label byte of a record is the class, and how many classes there are.
        var label: (offset: Int, classes: Int, namesFile: String) {
            switch self {
            case .cifar10: return (0, 10, "batches.meta.txt")
            case .cifar100(.coarse): return (0, 20, "coarse_label_names.txt")
            case .cifar100(.fine): return (1, 100, "fine_label_names.txt")
            }
        }

        var configName: String {
            switch self {
            case .cifar10: return "cifar10"
            case .cifar100(let labels): return "cifar100-\(labels.rawValue)"
            }
        }
    }

    static let side = 32, channels = 3
    static let pixelsPerImage = channels * side * side           // 3072
    /// Records read per chunk.
    static let chunkRecords = 1000

    static func load(_ variant: Variant, path: String, split: DataSplit) throws -> LabelledImages {
        let folder = try dataFolder(variant, path: path)
        let files = variant.files(split).map { folder + "/" + $0 }
        let key = try DatasetLoader.materialiseKey("\(variant.configName)-\(split.rawValue)", files: files)
        let counts = try recordCounts(files, variant: variant)
        let set = try DatasetLoader.materialise(key: key, count: counts.reduce(0, +), classes: variant.label.classes,
                                                channels: channels, height: side, width: side) { pixels, labels in
            try read(files, counts: counts, variant: variant, pixels: pixels, labels: labels)
        }
        return LabelledImages(images: set, classNames: try classNames(variant, folder: folder))
    }

    /// The batch files of both splits, then the class-name file when present.
    static func sourceFiles(_ variant: Variant, path: String) throws -> [String] {
        let folder = try dataFolder(variant, path: path)
        let names = DataSplit.allCases.flatMap { variant.files($0) }
        let meta = folder + "/" + variant.label.namesFile
        return names.map { folder + "/" + $0 } + (FileManager.default.fileExists(atPath: meta) ? [meta] : [])
    }

    /// `path` or its archive subfolder: the first holding the variant's first training file.
    static func dataFolder(_ variant: Variant, path: String) throws -> String {
        let base = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        let first = variant.files(.train)[0]
        for folder in [base, base + "/" + variant.subfolder] where FileManager.default.fileExists(atPath: folder + "/" + first) {
            return folder
        }
        throw InputError("\(path): no \(first) here or in \(base)/\(variant.subfolder): expected the \(variant.title) binary version")
    }

    /// The number of records in each file, from its size; a size that is not a positive multiple
    /// of the record is an InputError naming the file.
    static func recordCounts(_ files: [String], variant: Variant) throws -> [Int] {
        try files.map { file in
            let size = try PosixFile.openRegular(file, what: "data file").size()
            guard size > 0, size % variant.recordSize == 0 else {
                throw InputError("\(file): \(size) bytes is not a positive multiple of the \(variant.recordSize)-byte \(variant.title) record "
                                 + "(\(variant.labelBytes == 1 ? "label" : "coarse label, fine label") + \(pixelsPerImage) pixels)")
            }
            return size / variant.recordSize
        }
    }

    /// Every record of `files` (`counts[i]` records in file i), in file order, into `pixels`
    /// ((sum of counts, 3, 32, 32), as stored) and `labels` (the chosen label, checked).
    static func read(_ files: [String], counts: [Int], variant: Variant, pixels out: UnsafeMutableBufferPointer<UInt8>,
                     labels: UnsafeMutableBufferPointer<Int32>) throws {
        let (offset, classes, _) = variant.label
        let record = variant.recordSize
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkRecords * record)
        defer { chunk.deallocate() }
        var image = 0
        for (file, count) in zip(files, counts) {
            let handle = try PosixFile.openRegular(file, what: "data file")
            var done = 0
            while done < count {
                let n = min(chunkRecords, count - done)
                guard try handle.fill(chunk, count: n * record) == n * record else {
                    throw InputError("\(file): file shrank while reading (expected \(count) records of \(record) bytes)")
                }
                for r in 0 ..< n {
                    let src = chunk + r * record
                    let label = Int(src[offset])
                    guard label < classes else {
                        throw InputError("\(file): record \(done + r) has label \(label): expected 0..<\(classes) (\(variant.labelsTitle) labels)")
                    }
                    labels[image] = Int32(label)
                    (out.baseAddress! + image * pixelsPerImage).update(from: src + variant.labelBytes, count: pixelsPerImage)
                    image += 1
                }
                done += n
            }
        }
    }

    /// CIFAR-10's class names in label order, for a folder without batches.meta.txt.
    static let cifar10Classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    /// The names file's non-blank lines (trimmed) when it exists, else CIFAR-10's standard names
    /// (cifar10Classes) or, for CIFAR-100, "0", "1", ...; a file with a different number of names
    /// is an InputError.
    static func classNames(_ variant: Variant, folder: String) throws -> [String] {
        let (_, classes, namesFile) = variant.label
        let path = folder + "/" + namesFile
        guard FileManager.default.fileExists(atPath: path) else {
            return variant == .cifar10 ? cifar10Classes : LabelledImages.numbered(classes)
        }
        let size = try PosixFile.openRegular(path, what: "class names file").size()
        guard size <= 1 << 20 else { throw InputError("\(path): \(size) bytes, over 1 MiB: expected \(classes) class names, one per line") }
        let bytes = try readFileBytes(path: path)
        let names = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard names.count == classes else {
            throw InputError("\(path): \(names.count) class names: expected \(classes), one per line")
        }
        return names
    }
}
