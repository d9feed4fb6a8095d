// The one entry point from a dataset's name to its images: which reader a DatasetName uses, which
// files it reads (for the all-ranks checksum), and the single funnel every decoded dataset goes
// through (`materialise`). MNIST-family IDX images are copied into the node's PixelCache as they
// are (MNIST.loadPair); EMNIST (transposed), CIFAR and image folders are decoded through
// `materialise`, whose key names the source files (SourceIdentity: real path, size, mtime, inode)
// and the decode parameters; the caller gives the shape up front and decodes straight into the
// cache file: the first process on a node decodes, every later one maps the cached result.

import Core
import Foundation

public enum DatasetLoader {
    /// One split of dataset `name` stored under `path`. `input` (the model's C, H, W) is used by
    /// `folder` only, which decodes every image to that shape; the other datasets have a fixed
    /// shape that the caller checks against the model.
    public static func load(_ name: DatasetName, path: String, split: DataSplit,
                            input: (c: Int, h: Int, w: Int)) throws -> LabelledImages {
        switch name {
        case .mnist, .fashionMNIST, .kmnist:
            return try IDXFamily.loadNamed(name, directory: path, split: split)
        case .idx:
            return try IDXFamily.loadAny(directory: path, split: split)
        case .emnist(let emnistSplit):
            return try EMNIST.load(emnistSplit, directory: path, split: split)
        case .cifar10:
            return try CIFAR.load(.cifar10, path: path, split: split)
        case .cifar100(let labels):
            return try CIFAR.load(.cifar100(labels), path: path, split: split)
        case .folder:
            return try ImageFolder.load(root: path, split: split, input: input)
        }
    }

    /// Every file that `load` reads for either split, in a fixed order (paths as found under
    /// `path`): equal checksums of these on all ranks mean all ranks train on the same data.
    public static func sourceFiles(_ name: DatasetName, path: String) throws -> [String] {
        switch name {
        case .mnist, .fashionMNIST, .kmnist, .idx:
            return try IDXFamily.sourceFiles(directory: path)
        case .emnist(let emnistSplit):
            return try EMNIST.sourceFiles(emnistSplit, directory: path)
        case .cifar10:
            return try CIFAR.sourceFiles(.cifar10, path: path)
        case .cifar100(let labels):
            return try CIFAR.sourceFiles(.cifar100(labels), path: path)
        case .folder:
            return try ImageFolder.sourceFiles(root: path)
        }
    }

    /// FNV-1a 64 (hex) of each source file as stored on disk, keyed by its path relative to `path`.
    public static func fileChecksums(_ name: DatasetName, path: String) throws -> [(file: String, checksum: String)] {
        let prefix = path.hasSuffix("/") ? path : path + "/"
        return try sourceFiles(name, path: path).map { file in
            (file.hasPrefix(prefix) ? String(file.dropFirst(prefix.count)) : file, hex16(try fnv1a64(path: file)))
        }
    }

    /// The funnel for every decoded dataset: `count` images of (channels, height, width) with labels
    /// in 0..<classes, cached under `key` in the node's PixelCache (see `materialiseKey`) and
    /// mapped; `fill` decodes the pixels straight into a new cache file's mapping, and the labels,
    /// only when no valid cache file exists, once per node.
    static func materialise(key: String, count: Int, classes: Int, channels: Int, height: Int, width: Int,
                            fill: (_ pixels: UnsafeMutableBufferPointer<UInt8>,
                                   _ labels: UnsafeMutableBufferPointer<Int32>) throws -> Void) throws -> ImageSet {
        try PixelCache.labelledSet(key: key, count: count, classes: classes, channels: channels, height: height,
                                   width: width, fill: fill)
    }

    /// A key that changes whenever the decoded result could: `what` (dataset, split and decode
    /// parameters, e.g. "cifar100-coarse-train" or "folder-train-3x32x32") and each file's
    /// SourceIdentity (real path, size, mtime in ns, inode), folded into FNV-1a 64. Usable as a
    /// file name.
    static func materialiseKey(_ what: String, files: [String]) throws -> String {
        var h = fnv1a64(Array(what.utf8))
        for file in files {
            let line = try SourceIdentity.of(file) + "\n"
            h = Array(line.utf8).withUnsafeBytes { fnv1a64($0, continuing: h) }
        }
        return what + "-" + hex16(h)
    }
}
