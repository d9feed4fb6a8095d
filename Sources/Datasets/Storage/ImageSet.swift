// ImageSet: images as u8 NCHW plus one class label per image. The pixels live in the process
// (`memory`, small sets and tests) or in a read-only mapping of a PixelCache file (`mapped`: loaded
// datasets), which the ranks of a node share through the page cache. Either way an image is a
// plain memory copy; nothing here makes a system call.

import Core

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

    /// Every pixel, (count, channels, height, width), copied into a new array.
    public var pixels: [UInt8] {
        withPixels { Array($0) }
    }

    /// Whether the pixels are a mapping of a PixelCache file (shared by the processes that map it).
    public var isMapped: Bool { if case .mapped = storage { return true } else { return false } }

    /// The images at positions `range`, in order (a mapped set shares its mapping).
    public func subset(_ range: Range<Int>) -> ImageSet {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "subset \(range) outside 0..<\(count)")
        let part: PixelStorage
        switch storage {
        case let .memory(bytes, first):
            let lo = (first + range.lowerBound) * imageSize, hi = (first + range.upperBound) * imageSize
            part = .memory(Array(bytes[lo ..< hi]), first: 0)
        case let .mapped(mapping, first):
            part = .mapped(mapping, first: first + range.lowerBound)
        }
        return ImageSet(channels: channels, height: height, width: width, storage: part,
                        labels: Array(labels[range]), classes: classes)
    }

    /// Calls `body` with this set's pixels, (count, C, H, W), valid only during the call.
    @inline(__always)
    public func withPixels<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        switch storage {
        case let .memory(bytes, first):
            return try bytes.withUnsafeBufferPointer {
                try body(UnsafeBufferPointer(rebasing: $0[first * imageSize ..< (first + count) * imageSize]))
            }
        case let .mapped(mapping, first):
            return try withExtendedLifetime(mapping) {
                try body(UnsafeBufferPointer(start: mapping.payload + first * imageSize, count: count * imageSize))
            }
        }
    }

    /// Copies the u8 pixels of image `i` to `dst` (imageSize bytes): a memcpy.
    public func copyImage(_ i: Int, to dst: UnsafeMutablePointer<UInt8>) {
        precondition(i >= 0 && i < count, "image \(i) outside 0..<\(count)")
        withPixels { dst.update(from: $0.baseAddress! + i * imageSize, count: imageSize) }
    }
}

enum PixelStorage {
    case memory([UInt8], first: Int)            // images first ..< first + count of the array
    case mapped(MappedPixels, first: Int)       // images first ..< first + count of the cache file
}
