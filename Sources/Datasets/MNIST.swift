// MNIST as an ImageSet: the IDX image and label files of one split, gzipped or raw, checked for
// matching counts and labels in 0..<10. Pixels stay u8 (count x C x H x W, C = 1) until a batch
// is gathered. Also a cheap per-file fingerprint so all ranks can check they read the same data.

import Foundation
import NN

/// Images as u8 NCHW plus one class label per image.
public struct ImageSet {
    public let count: Int
    public let channels, height, width: Int
    public let pixels: [UInt8]   // (count, channels, height, width)
    public let labels: [Int32]   // (count), each in 0..<classes
    public let classes: Int

    public init(channels: Int, height: Int, width: Int, pixels: [UInt8], labels: [Int32], classes: Int) {
        precondition(pixels.count == labels.count * channels * height * width, "pixels and labels disagree")
        self.count = labels.count
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
        self.classes = classes
    }

    /// Bytes per image: channels x height x width.
    public var imageSize: Int { channels * height * width }

    /// The images at positions `range`, in order.
    public func subset(_ range: Range<Int>) -> ImageSet {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "subset \(range) outside 0..<\(count)")
        return ImageSet(channels: channels, height: height, width: width,
                        pixels: Array(pixels[range.lowerBound * imageSize ..< range.upperBound * imageSize]),
                        labels: Array(labels[range]), classes: classes)
    }
}

public enum MNIST {
    public enum Split: String, CaseIterable {
        case train, test
        var prefix: String { self == .train ? "train" : "t10k" }
        public var imagesFile: String { "\(prefix)-images-idx3-ubyte" }
        public var labelsFile: String { "\(prefix)-labels-idx1-ubyte" }
    }

    public static let classes = 10

    /// Loads one split from `directory`, reading `<name>.gz` if present, else `<name>`.
    public static func load(directory: String, split: Split) throws -> ImageSet {
        let imagesPath = try resolve(directory: directory, name: split.imagesFile)
        let labelsPath = try resolve(directory: directory, name: split.labelsFile)
        let images = try parseIDX(readMaybeGzip(path: imagesPath), file: imagesPath, expectDims: 3)
        let labels = try parseIDX(readMaybeGzip(path: labelsPath), file: labelsPath, expectDims: 1)
        guard images.dims[0] == labels.dims[0] else {
            throw InputError("\(imagesPath) has \(images.dims[0]) images but \(labelsPath) has \(labels.dims[0]) labels: expected equal counts")
        }
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classes }) {
            throw InputError("\(labelsPath): label \(labels.bytes[bad]) at index \(bad): expected 0..<\(classes)")
        }
        return ImageSet(channels: 1, height: images.dims[1], width: images.dims[2], pixels: images.bytes,
                        labels: labels.bytes.map(Int32.init), classes: classes)
    }

    /// The path of `name` under `directory`: the .gz file if it exists, else the raw one.
    public static func resolve(directory: String, name: String) throws -> String {
        let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        for candidate in [base + ".gz", base] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw InputError("\(base)(.gz): file not found: expected MNIST IDX data, gzipped or raw")
    }

    /// FNV-1a 64 (hex) of each data file as stored on disk, keyed by file name (e.g.
    /// "train-images-idx3-ubyte.gz"). Equal maps on all ranks mean all ranks read the same data.
    public static func fileChecksums(directory: String) throws -> [String: String] {
        var sums: [String: String] = [:]
        for split in Split.allCases {
            for name in [split.imagesFile, split.labelsFile] {
                let path = try resolve(directory: directory, name: name)
                let hash = fnv1a64(try readFileBytes(path: path))
                sums[String(path.split(separator: "/").last!)] = hex16(hash)
            }
        }
        return sums
    }
}

/// FNV-1a, 64-bit: a fast non-cryptographic fingerprint of a byte string.
public func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBufferPointer { buf in
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in buf { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }
}

private func hex16(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}
