// The node's one copy of a dataset's pixels: a dtrain-owned cache file per key (u8 NCHW after a
// one-page header, PixelCacheHeader.swift, then the labels for a labelled set) in the cache folder
// (CacheFolder.swift: $DTRAIN_CACHE, else $XDG_CACHE_HOME/dtrain, else /tmp/dtrain-cache-<euid>;
// owned by the user, 0700), mapped read-only and shared (MappedPixels.swift). The caller states the
// shape (count, C, H, W, and classes for a labelled set) up front; the first process to need a key
// builds the file: under an flock on `<file>.lock` it removes temporaries that killed builds left
// (`<file>.tmp-*`), reserves the full size in a new temporary file, maps it writable, lets the
// caller fill the pixels (and labels) in place — the pixels never exist in the process heap —
// msyncs and fsyncs it and renames it into place; processes that wait on the lock then find the
// finished file and map it. A file that is missing, short, damaged or of another shape is rebuilt
// the same way. Files are never truncated or rewritten once published (see MappedPixels.swift on
// SIGBUS). Old keys' files are not evicted; delete the folder to reclaim the space.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Core
import Foundation

public enum PixelCache {
    /// Limits on what a key may describe: an image of at most 2^26 bytes (64 MiB) and a set of at
    /// most 2^31 - 1 images, so sizes stay far from overflow.
    static let maxImageBytes = 1 << 26

    /// The cache folder: $DTRAIN_CACHE, else $XDG_CACHE_HOME/dtrain, else /tmp/dtrain-cache-<euid>.
    public static func root() -> String { CacheFolder.path() }

    /// The images of `key` (labels.count images of channels x height x width u8): mapped from the
    /// cache when a valid file for exactly this key and shape exists, else built by `fill`, which
    /// receives the count x C x H x W payload of a new cache file to write in NCHW order. `key`
    /// names the source in messages; equal keys must mean equal pixels (put what identifies the
    /// source's version in it: SourceIdentity). Errors thrown by `fill` leave no file behind.
    public static func imageSet(key: String, labels: [Int32], classes: Int, channels: Int, height: Int, width: Int,
                                fill: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) throws -> ImageSet {
        try checkShape(key: key, count: labels.count, channels: channels, height: height, width: width)
        let keyBytes = try checkedKey(key)
        let header = PixelCacheHeader(key: keyBytes, count: labels.count, channels: channels, height: height, width: width)
        let mapping = try mapOrBuild(header, key: key, read: { $0 }, fill: fill)
        return ImageSet(channels: channels, height: height, width: width, storage: .mapped(mapping, first: 0),
                        labels: labels, classes: classes)
    }

    /// The labelled set cached under `key`: `count` images of channels x height x width u8 with a
    /// label in 0..<classes each, mapped (pixels and labels) when a valid file for exactly this key,
    /// shape and class count exists. Else — once per node: other processes wait on the lock and
    /// then map what it wrote — `fill` writes the pixels (count x C x H x W, NCHW) straight into the
    /// new cache file's mapping and the labels (count) into a small buffer; a label out of range is
    /// an InputError naming `key`. For datasets that are decoded (CIFAR, image folders, EMNIST
    /// transposed): a hit costs no decode and no read of the source's pixels.
    public static func labelledSet(key: String, count: Int, classes: Int, channels: Int, height: Int, width: Int,
                                   fill: (_ pixels: UnsafeMutableBufferPointer<UInt8>,
                                          _ labels: UnsafeMutableBufferPointer<Int32>) throws -> Void) throws -> ImageSet {
        guard classes > 0, classes <= Int(Int32.max) else {
            throw InputError("\(key): a labelled set needs 1 or more classes, found \(classes)")
        }
        try checkShape(key: key, count: count, channels: channels, height: height, width: width)
        let keyBytes = try checkedKey(key)
        let header = PixelCacheHeader(key: keyBytes, count: count, channels: channels, height: height, width: width,
                                      classes: classes)
        // labels out of range in a file are damage: read returns nil and the file is rebuilt
        let (mapping, labels) = try mapOrBuild(header, key: key, read: { m in m.labels.map { (m, $0) } }) { out in
            let labels = UnsafeMutableBufferPointer<Int32>.allocate(capacity: count)
            labels.initialize(repeating: -1)
            defer { labels.deallocate() }
            try fill(UnsafeMutableBufferPointer(rebasing: out[0 ..< header.payloadBytes]), labels)
            let stored = UnsafeMutableRawPointer(out.baseAddress! + header.payloadBytes)
            for (i, label) in labels.enumerated() {
                guard label >= 0, Int(label) < classes else {
                    throw InputError("\(key): image \(i) has label \(label): expected 0..<\(classes)")
                }
                stored.storeBytes(of: label.littleEndian, toByteOffset: 4 * i, as: Int32.self)
            }
        }
        return ImageSet(channels: channels, height: height, width: width, storage: .mapped(mapping, first: 0),
                        labels: labels, classes: classes)
    }

    /// `set` (pixels in memory or mapped) as a cache file for `key`, mapped.
    public static func imageSet(key: String, from set: ImageSet) throws -> ImageSet {
        try imageSet(key: key, labels: set.labels, classes: set.classes, channels: set.channels, height: set.height,
                     width: set.width) { out in
            set.withPixels { src in if !src.isEmpty { out.baseAddress!.update(from: src.baseAddress!, count: src.count) } }
        }
    }

    /// Throws unless each side is > 0, an image is at most maxImageBytes and there are fewer than 2^31 images.
    private static func checkShape(key: String, count: Int, channels: Int, height: Int, width: Int) throws {
        guard channels > 0, height > 0, width > 0, count >= 0, count <= Int(Int32.max),
              channels <= maxImageBytes, height <= maxImageBytes, width <= maxImageBytes,
              channels * height <= maxImageBytes, channels * height * width <= maxImageBytes else {
            throw InputError("\(key): images of \(channels)x\(height)x\(width) (\(count) of them): expected each side > 0, at most \(maxImageBytes) bytes per image and fewer than 2^31 images")
        }
    }

    /// The key's UTF-8 bytes; it must fit the header page.
    private static func checkedKey(_ key: String) throws -> [UInt8] {
        let keyBytes = Array(key.utf8)
        guard keyBytes.count <= PixelCacheHeader.maxKeyBytes else {
            throw InputError("\(key.prefix(200))...: pixel cache key of \(keyBytes.count) bytes: expected at most \(PixelCacheHeader.maxKeyBytes) (a shorter data path)")
        }
        return keyBytes
    }

    /// The cache file's path for `key` in `folder`: the folder plus the key's FNV-1a 64 in hex.
    static func path(forKey key: [UInt8], in folder: String) -> String {
        folder + "/pixels-" + hex16(fnv1a64(key))
    }

    /// What `read` makes of the valid cache file for `header` (nil: damaged, rebuild it), building
    /// the file with `fill` (payload, then label bytes for a labelled header) when there is none.
    private static func mapOrBuild<T>(_ header: PixelCacheHeader, key: String, read: (MappedPixels) -> T?,
                                      fill: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) throws -> T {
        let path = path(forKey: header.key, in: try CacheFolder.prepared(for: key))
        func cached() throws -> T? { try MappedPixels.map(path, expected: header).flatMap(read) }
        // a published file is complete (rename is atomic), so a valid one can be mapped unlocked
        if let found = try cached() { return found }
        let lock = try CacheLock(path + ".lock")
        defer { lock.release() }
        removeStaleTemporaries(of: path)
        if let found = try cached() { return found }                                    // built while we waited
        try writeFile(path, header: header, fill: fill)
        guard let found = try cached() else {
            throw InputError("\(path): the pixel cache file for \(key) does not read back after writing it")
        }
        return found
    }

    /// Unlinks `<path>.tmp-*`: temporaries of builds that were killed. Only the holder of the
    /// path's lock writes temporaries for it, so under the lock every one left is stale.
    private static func removeStaleTemporaries(of path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        let prefix = (path as NSString).lastPathComponent + ".tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(prefix) { unlink(folder + "/" + name) }
    }

    /// Writes the file under a temporary name and renames it to `path`.
    private static func writeFile(_ path: String, header: PixelCacheHeader,
                              fill: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) throws {
        let temp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw InputError("\(temp): cannot create a pixel cache file (\(errnoText())); set DTRAIN_CACHE to a writable folder")
        }
        var published = false
        defer {
            close(fd)
            if !published { unlink(temp) }
        }
        let bytes = header.fileBytes
        // reserve the blocks now: a write into a mapped hole on a full disk would be SIGBUS
        let reserved = posix_fallocate(fd, 0, off_t(bytes))
        guard reserved == 0 else {
            throw InputError("\(temp): cannot reserve \(bytes) bytes for the pixel cache (\(String(cString: strerror(reserved)))); set DTRAIN_CACHE to a folder with room")
        }
        guard let base = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw InputError("\(temp): cannot map the new pixel cache file (\(errnoText()))")
        }
        do {
            header.write(to: base)
            // the pixels, then (labelled files) the label bytes, which `fill` writes too
            try fill(UnsafeMutableBufferPointer(start: (base + PixelCacheHeader.size).assumingMemoryBound(to: UInt8.self),
                                                count: header.payloadBytes + header.labelBytes))
            guard msync(base, bytes, MS_SYNC) == 0 else { throw InputError("\(temp): msync failed (\(errnoText()))") }
        } catch {
            munmap(base, bytes)
            throw error
        }
        munmap(base, bytes)
        guard fsync(fd) == 0 else { throw InputError("\(temp): fsync failed (\(errnoText()))") }
        guard rename(temp, path) == 0 else { throw InputError("\(path): rename of the new pixel cache file failed (\(errnoText()))") }
        published = true
        let folder = (path as NSString).deletingLastPathComponent
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { _ = fsync(dir); close(dir) }     // durability of the rename; best effort
    }
}

/// An exclusive flock on a lock file next to a cache file, held while the file is built. Separate
/// opens get separate locks, so threads of one process exclude each other as processes do. Lock
/// files are left in place: removing one could let a third process lock a fresh file while a
/// second still holds the old one.
final class CacheLock {
    private var fd: Int32

    init(_ path: String) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw InputError("\(path): cannot open the pixel cache lock file (\(errnoText()))") }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let reason = errnoText()
                close(fd)
                fd = -1
                throw InputError("\(path): cannot lock the pixel cache lock file (\(reason))")
            }
        }
    }

    /// Unlocks and closes (also on deinit).
    func release() {
        guard fd >= 0 else { return }
        close(fd)            // closing the last descriptor of the open file drops the flock
        fd = -1
    }

    deinit { release() }
}

/// 16 lowercase hex digits.
func hex16(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}
