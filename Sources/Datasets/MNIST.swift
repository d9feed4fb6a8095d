// MNIST as an ImageSet: the IDX image and label files of one split, gzipped or raw, checked for
// matching counts and labels in 0..<10 (`loadPair`: any class count, and 4-D (count, C, H, W)
// image files for the `idx` dataset). Pixels stay u8 (count x C x H x W) until a batch is
// gathered. Also a cheap per-file fingerprint so all ranks can check they read the same data.

import Core
import Foundation
import NN

/// Images as u8 NCHW plus one class label per image. The pixels live in memory, or — for data
/// loaded from disk — in a raw IDX file read with pread per gathered image, so that image bytes
/// never accumulate in the process (labels always stay in memory).
public struct ImageSet {
    public let count: Int
    public let channels, height, width: Int
    public let labels: [Int32]   // (count), each in 0..<classes
    public let classes: Int
    let storage: PixelStorage

    public init(channels: Int, height: Int, width: Int, pixels: [UInt8], labels: [Int32], classes: Int) {
        precondition(pixels.count == labels.count * channels * height * width, "pixels and labels disagree")
        self.init(channels: channels, height: height, width: width, storage: .memory(pixels, first: 0),
                  labels: labels, classes: classes)
    }

    init(channels: Int, height: Int, width: Int, storage: PixelStorage, labels: [Int32], classes: Int) {
        self.count = labels.count
        self.channels = channels
        self.height = height
        self.width = width
        self.storage = storage
        self.labels = labels
        self.classes = classes
    }

    /// Bytes per image: channels x height x width.
    public var imageSize: Int { channels * height * width }

    /// Every pixel, (count, channels, height, width) — read from the file when file-backed
    /// (throws as `copyImage` does).
    public var pixels: [UInt8] {
        get throws {
            var out = [UInt8](repeating: 0, count: count * imageSize)
            try out.withUnsafeMutableBufferPointer { buffer in
                for i in 0..<count { try copyImage(i, to: buffer.baseAddress! + i * imageSize) }
            }
            return out
        }
    }

    /// Whether the pixels are read from a file on demand.
    public var isFileBacked: Bool { if case .file = storage { return true } else { return false } }

    /// The images at positions `range`, in order (file-backed sets share the file).
    public func subset(_ range: Range<Int>) -> ImageSet {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "subset \(range) outside 0..<\(count)")
        let part: PixelStorage
        switch storage {
        case let .memory(bytes, first):
            let lo = (first + range.lowerBound) * imageSize, hi = (first + range.upperBound) * imageSize
            part = .memory(Array(bytes[lo ..< hi]), first: 0)
        case let .file(file, first):
            part = .file(file, first: first + range.lowerBound)
        }
        return ImageSet(channels: channels, height: height, width: width, storage: part,
                        labels: Array(labels[range]), classes: classes)
    }

    /// Copies the u8 pixels of image `i` to `dst` (imageSize bytes). A file-backed set throws
    /// when the file fails to read or shrank since it was checked (`PixelFile.read`).
    @inline(__always)
    func copyImage(_ i: Int, to dst: UnsafeMutablePointer<UInt8>) throws {
        switch storage {
        case let .memory(bytes, first):
            bytes.withUnsafeBufferPointer { dst.update(from: $0.baseAddress! + (first + i) * imageSize, count: imageSize) }
        case let .file(file, first):
            try file.read(image: first + i, into: dst)
        }
    }
}

enum PixelStorage {
    case memory([UInt8], first: Int)          // images first ..< first + count of the array
    case file(PixelFile, first: Int)          // images first ..< first + count of the file
}

/// A raw IDX image file kept open; images are read with pread (no shared offset, no buffering).
final class PixelFile {
    let path: String
    let fd: Int32
    let payloadOffset: Int
    let imageSize: Int

    init(path: String, payloadOffset: Int, imageSize: Int) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError("\(path): cannot open data file (\(errnoText()))") }
        self.path = path; self.payloadOffset = payloadOffset; self.imageSize = imageSize
    }

    deinit { close(fd) }

    /// Reads `images` consecutive images starting at `image`. The file was complete when opened,
    /// so a failure now is a broken disk (DataReadError, exit 1) or a file cut short under us
    /// (InputError, exit 2).
    func read(image: Int, count images: Int = 1, into dst: UnsafeMutablePointer<UInt8>) throws {
        var done = 0
        let total = images * imageSize
        while done < total {
            let n = pread(fd, dst + done, total - done, off_t(payloadOffset + image * imageSize + done))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw DataReadError(path: path, image: image, reason: errnoText()) }
            if n == 0 {
                throw InputError("\(path): file shrank while training read it: image \(image) ends past the end of the file "
                                 + "(was the data replaced during the run?)")
            }
            done += n
        }
    }
}

/// A data file that was readable when it was checked failed to read later (an I/O error).
public struct DataReadError: Error, CustomStringConvertible {
    public let path: String
    public let image: Int
    public let reason: String
    public var description: String { "\(path): reading image \(image) failed (\(reason))" }
}

public enum MNIST {
    public enum Split: String, CaseIterable {
        case train, test
        var prefix: String { self == .train ? "train" : "t10k" }
        public var imagesFile: String { "\(prefix)-images-idx3-ubyte" }
        public var labelsFile: String { "\(prefix)-labels-idx1-ubyte" }
    }

    public static let classes = 10

    /// Loads one split from `directory`, reading `<name>.gz` if present, else `<name>`. Labels
    /// are read into memory; images stay on disk: a raw file is read in place, a .gz file is
    /// inflated once (streamed) into a raw cache file (see `rawImageFile`).
    public static func load(directory: String, split: Split) throws -> ImageSet {
        try loadPair(directory: directory, split: split, classes: classes, imageDims: 3 ... 3)
    }

    /// `load` for any IDX pair under MNIST's file names with labels in 0..<classes. The image file
    /// may have any number of dimensions in `imageDims`: 3 is (count, H, W), one channel; 4 is
    /// (count, C, H, W).
    static func loadPair(directory: String, split: Split, classes: Int, imageDims: ClosedRange<Int>) throws -> ImageSet {
        let imagesPath = try resolve(directory: directory, name: split.imagesFile)
        let labelsPath = try resolve(directory: directory, name: split.labelsFile)
        let labels = try parseIDX(readMaybeGzip(path: labelsPath), file: labelsPath, expectDims: 1)
        let (raw, dims, header) = try rawImageFile(imagesPath, dims: imageDims)
        guard dims[0] == labels.dims[0] else {
            throw InputError("\(imagesPath) has \(dims[0]) images but \(labelsPath) has \(labels.dims[0]) labels: expected equal counts")
        }
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classes }) {
            throw InputError("\(labelsPath): label \(labels.bytes[bad]) at index \(bad): expected 0..<\(classes)")
        }
        let channels = dims.count == 4 ? dims[1] : 1, height = dims[dims.count - 2], width = dims[dims.count - 1]
        let file = try PixelFile(path: raw, payloadOffset: header, imageSize: channels * height * width)
        return ImageSet(channels: channels, height: height, width: width, storage: .file(file, first: 0),
                        labels: labels.bytes.map(Int32.init), classes: classes)
    }

    /// A raw (uncompressed) IDX image file with the content of `path`, checked (magic, a number
    /// of dimensions in `allowed`, exact payload size; errors name `path`): `path` itself when it
    /// is raw; for a .gz file a cache file `<cache>/<FNV-1a of the .gz>/<name>` written once,
    /// atomically (temp file, fsync, rename), under $DTRAIN_CACHE, else $XDG_CACHE_HOME/dtrain,
    /// else /tmp/dtrain-cache.
    static func rawImageFile(_ path: String, dims allowed: ClosedRange<Int> = 3 ... 3) throws -> (path: String, dims: [Int], header: Int) {
        func check(_ raw: String) throws -> (dims: [Int], size: Int) {
            let file = try PosixFile.openRegular(raw, what: "data file")
            let longest = 4 + 4 * allowed.upperBound
            var prefix = [UInt8](repeating: 0, count: longest)
            let n = try prefix.withUnsafeMutableBytes { try file.fill($0.baseAddress!, count: longest) }
            // the magic's last byte is the dimension count: take it when allowed, else let the
            // check report the magic of the first allowed count
            let stated = n >= 4 ? Int(prefix[3]) : allowed.lowerBound
            let expect = allowed.contains(stated) ? stated : allowed.lowerBound
            return try checkIDXHeader(Array(prefix.prefix(min(n, 4 + 4 * expect))), totalBytes: try file.size(),
                                      file: path, expectDims: expect)
        }
        let magic = try PosixFile.openRegular(path, what: "data file")
        var first: [UInt8] = [0, 0]
        let got = try first.withUnsafeMutableBytes { try magic.fill($0.baseAddress!, count: 2) }
        guard got == 2, first[0] == 0x1f, first[1] == 0x8b else {
            let header = try check(path)
            return (path, header.dims, header.size)
        }
        let name = String(path.split(separator: "/").last!.dropLast(3))       // without ".gz"
        let folder = cacheRoot() + "/" + hex16(try fnv1a64(path: path))
        let cached = folder + "/" + name
        if FileManager.default.fileExists(atPath: cached), let header = try? check(cached) {
            return (cached, header.dims, header.size)
        }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temp = cached + ".tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw InputError("\(path): cannot write the inflated cache file \(temp) (\(errnoText())); set DTRAIN_CACHE to a writable folder or gunzip the file")
        }
        var closed = false, renamed = false
        defer {
            if !closed { close(fd) }
            unlink(temp)
            if !renamed { rmdir(folder) }        // leaves no empty folder behind (fails if others wrote)
        }
        // inflate errors (truncated, corrupt, trailing bytes) name `path`
        try streamMaybeGzip(path: path) { chunk in
            var done = 0
            while done < chunk.count {
                let n = write(fd, chunk.baseAddress! + done, chunk.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw InputError("\(temp): write failed (\(errnoText()))") }
                done += n
            }
        }
        guard fsync(fd) == 0 else { throw InputError("\(temp): fsync failed (\(errnoText()))") }
        close(fd); closed = true
        let header = try check(temp)
        guard rename(temp, cached) == 0 else { throw InputError("\(cached): rename failed (\(errnoText()))") }
        renamed = true
        return (cached, header.dims, header.size)
    }

    static func cacheRoot() -> String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["DTRAIN_CACHE"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/dtrain" }
        return "/tmp/dtrain-cache"
    }

    /// The path of `name` under `directory`: the .gz file if it exists, else the raw one.
    public static func resolve(directory: String, name: String) throws -> String {
        let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        for candidate in [base + ".gz", base] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw InputError("\(base)(.gz): file not found: expected IDX data under MNIST's file names, gzipped or raw")
    }

    /// FNV-1a 64 (hex) of each data file as stored on disk, keyed by file name (e.g.
    /// "train-images-idx3-ubyte.gz"). Equal maps on all ranks mean all ranks read the same data.
    public static func fileChecksums(directory: String) throws -> [String: String] {
        var sums: [String: String] = [:]
        for split in Split.allCases {
            for name in [split.imagesFile, split.labelsFile] {
                let path = try resolve(directory: directory, name: name)
                let hash = try fnv1a64(path: path)
                sums[String(path.split(separator: "/").last!)] = hex16(hash)
            }
        }
        return sums
    }
}
