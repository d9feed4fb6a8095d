// MNIST as an ImageSet: the IDX image and label files of one split, gzipped or raw, checked for
// matching counts and labels in 0..<10 (`loadPair`: any class count, and 4-D (count, C, H, W)
// image files for the `idx` dataset). The pixels (u8, count x C x H x W) are copied once into the
// node's PixelCache and mapped from there, so a run never reads the source files again (a source
// replaced during the run is not seen). Also a cheap per-file fingerprint so all ranks can check
// they read the same data.

import Core
import Foundation
import NN

public enum MNIST {
    public enum Split: String, CaseIterable {
        case train, test
        var prefix: String { self == .train ? "train" : "t10k" }
        public var imagesFile: String { "\(prefix)-images-idx3-ubyte" }
        public var labelsFile: String { "\(prefix)-labels-idx1-ubyte" }
    }

    public static let classes = 10

    /// Loads one split from `directory`, reading `<name>.gz` if present, else `<name>`. Labels
    /// are read into memory; the images are mapped from the PixelCache (`cachedImages`).
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
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classes }) {
            throw InputError("\(labelsPath): label \(labels.bytes[bad]) at index \(bad): expected 0..<\(classes)")
        }
        return try cachedImages(imagesPath, labels: labels.bytes.map(Int32.init), labelsPath: labelsPath, classes: classes,
                                dims: imageDims)
    }

    /// The images of the IDX file `path` (gzipped or raw) with `labels` (read from `labelsPath`),
    /// mapped from the PixelCache under the file's SourceIdentity; on a miss the file is streamed
    /// (inflated) once into the cache file. Its header, its image count (equal to the labels'), its
    /// size against the header's claim (StoredSize, before the cache reserves anything) and its
    /// exact payload size are checked; errors name `path`.
    static func cachedImages(_ path: String, labels: [Int32], labelsPath: String, classes: Int,
                             dims allowed: ClosedRange<Int>) throws -> ImageSet {
        let dims = try imageDimensions(path, allowed: allowed)
        guard dims[0] == labels.count else {
            throw InputError("\(path) has \(dims[0]) images but \(labelsPath) has \(labels.count) labels: expected equal counts")
        }
        let header = 4 + 4 * dims.count
        let shape = dims.map(String.init).joined(separator: "x")
        // before the cache reserves count x C x H x W bytes: can the file hold that many?
        try StoredSize.check(path, header: header, payload: dims.reduce(1, *), shape: shape)
        let key = "idx-images|" + (try SourceIdentity.of(path))
        let channels = dims.count == 4 ? dims[1] : 1
        return try PixelCache.imageSet(key: key, labels: labels, classes: classes, channels: channels,
                                       height: dims[dims.count - 2], width: dims[dims.count - 1]) { out in
            var seen = 0                      // bytes of the (inflated) file so far
            try streamMaybeGzip(path: path) { chunk in
                let skip = max(0, min(header - seen, chunk.count))
                let payload = chunk.count - skip, at = seen + skip - header
                guard at + payload <= out.count else {
                    throw InputError("\(path): trailing data: expected \(out.count) bytes of data for \(shape)")
                }
                if payload > 0 { UnsafeMutableRawPointer(out.baseAddress! + at).copyMemory(from: chunk.baseAddress! + skip, byteCount: payload) }
                seen += chunk.count
            }
            guard seen - header == out.count else {
                throw InputError("\(path): truncated: expected \(out.count) bytes of data for \(shape), found \(max(seen - header, 0))")
            }
        }
    }

    /// The dimensions from the IDX header of `path` — (count, height, width), or (count, C, H, W)
    /// when 4 is `allowed` and the magic says 4 — inflating only the first chunk of a .gz file.
    /// Checks the magic and that the sides are > 0.
    static func imageDimensions(_ path: String, allowed: ClosedRange<Int> = 3 ... 3) throws -> [Int] {
        struct Enough: Error {}
        let longest = 4 + 4 * allowed.upperBound
        var prefix: [UInt8] = []
        do {
            try streamMaybeGzip(path: path) { chunk in
                prefix.append(contentsOf: chunk.prefix(longest - prefix.count))
                if prefix.count == longest { throw Enough() }
            }
        } catch is Enough {}
        // the magic's last byte is the dimension count: take it when allowed, else let the check
        // report the magic of the first allowed count
        let stated = prefix.count >= 4 ? Int(prefix[3]) : allowed.lowerBound
        let expect = allowed.contains(stated) ? stated : allowed.lowerBound
        let header = 4 + 4 * expect
        prefix = Array(prefix.prefix(header))
        // the payload size is checked while copying; give checkIDXHeader a total that fits the dims
        var total = prefix.count
        if prefix.count == header {
            let sides = (0 ..< expect).map { d in prefix[4 + 4 * d ..< 8 + 4 * d].reduce(0) { $0 << 8 | Int($1) } }
            let (product, overflow) = sides.reduce((1, false)) { acc, side in
                let (p, o) = acc.0.multipliedReportingOverflow(by: side)
                return (p, acc.1 || o)
            }
            if !overflow && product <= Int.max - header { total = header + product }
        }
        return try checkIDXHeader(prefix, totalBytes: total, file: path, expectDims: expect).dims
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
