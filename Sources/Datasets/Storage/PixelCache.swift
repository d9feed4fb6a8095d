// The node's one copy of a dataset's pixels: a dtrain-owned cache file per key (u8 NCHW after a
// one-page header, PixelCacheHeader.swift) under $DTRAIN_CACHE, else $XDG_CACHE_HOME/dtrain, else
// /tmp/dtrain-cache, mapped read-only and shared (MappedPixels.swift). The first process to need a
// key builds the file: under an flock on `<file>.lock` it reserves the full size in a temporary
// file, maps it writable, lets the caller fill the pixels in place (no copy in the process heap),
// msyncs and fsyncs it and renames it into place; processes that wait on the lock then find the
// finished file and map it. A file that is missing, short or damaged is rebuilt the same way.
// Files are never truncated or rewritten once published (see MappedPixels.swift on SIGBUS). Old
// keys' files are not evicted; delete the folder to reclaim the space.

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

    /// The cache folder: $DTRAIN_CACHE, else $XDG_CACHE_HOME/dtrain, else /tmp/dtrain-cache.
    public static func root() -> String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["DTRAIN_CACHE"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/dtrain" }
        return "/tmp/dtrain-cache"
    }

    /// The images of `key` (labels.count images of channels x height x width u8): mapped from the
    /// cache when a valid file for exactly this key and shape exists, else built by `fill`, which
    /// receives the count x C x H x W payload of a new cache file to write in NCHW order. `key`
    /// names the source in messages; equal keys must mean equal pixels (put what identifies the
    /// source's version in it: path, size, mtime). Errors thrown by `fill` leave no file behind.
    public static func imageSet(key: String, labels: [Int32], classes: Int, channels: Int, height: Int, width: Int,
                                fill: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) throws -> ImageSet {
        try checkShape(key: key, count: labels.count, channels: channels, height: height, width: width)
        let keyBytes = try checkedKey(key)
        let header = PixelCacheHeader(key: keyBytes, count: labels.count, channels: channels, height: height, width: width)
        let mapping = try mapOrBuild(header, key: key, fill: fill)
        return ImageSet(channels: channels, height: height, width: width, storage: .mapped(mapping, first: 0),
                        labels: labels, classes: classes)
    }

    /// The labelled set cached under `key` (pixels and labels), mapped; on a miss (or a damaged
    /// file) `build` makes it — once per node: other processes wait on the lock and then map what
    /// it wrote — and it is written with its labels. For datasets that are decoded (CIFAR,
    /// image folders, EMNIST transposed): a hit costs no decode and no read of the source.
    public static func labelledSet(key: String, build: () throws -> ImageSet) throws -> ImageSet {
        let keyBytes = try checkedKey(key)
        let path = path(forKey: keyBytes)
        func cached() throws -> ImageSet? {
            guard let mapping = try MappedPixels.map(path, accept: { $0.key == keyBytes && $0.classes > 0 }),
                  let labels = mapping.labels else { return nil }
            let h = mapping.header
            return ImageSet(channels: h.channels, height: h.height, width: h.width, storage: .mapped(mapping, first: 0),
                            labels: labels, classes: h.classes)
        }
        if let set = try cached() { return set }
        let lock = try lockFolder(path, key: key)
        defer { lock.release() }
        if let set = try cached() { return set }                                        // built while we waited
        let set = try build()
        guard set.classes > 0, set.classes <= Int(UInt32.max) else {
            throw InputError("\(key): a labelled set needs 1 or more classes, found \(set.classes)")
        }
        try checkShape(key: key, count: set.count, channels: set.channels, height: set.height, width: set.width)
        let header = PixelCacheHeader(key: keyBytes, count: set.count, channels: set.channels, height: set.height,
                                      width: set.width, classes: set.classes)
        try writeFile(path, header: header) { out in
            set.withPixels { src in if !src.isEmpty { out.baseAddress!.update(from: src.baseAddress!, count: src.count) } }
            let labels = UnsafeMutableRawPointer(out.baseAddress! + header.payloadBytes)
            for (i, label) in set.labels.enumerated() { labels.storeBytes(of: label.littleEndian, toByteOffset: 4 * i, as: Int32.self) }
        }
        guard let mapped = try cached() else {
            throw InputError("\(path): the pixel cache file for \(key) does not read back after writing it")
        }
        return mapped
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
        guard channels > 0, height > 0, width > 0, count <= Int(Int32.max),
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

    /// Creates the cache folder and takes the build lock of the cache file `path`.
    private static func lockFolder(_ path: String, key: String) throws -> CacheLock {
        let folder = root()
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw InputError("\(folder): cannot create the pixel cache folder for \(key); set DTRAIN_CACHE to a writable folder")
        }
        return try CacheLock(path + ".lock")
    }

    /// The cache file's path for `key`: the folder plus the key's FNV-1a 64 in hex.
    static func path(forKey key: [UInt8]) -> String {
        root() + "/pixels-" + hex16(fnv1a64(key))
    }

    private static func mapOrBuild(_ header: PixelCacheHeader, key: String,
                                   fill: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) throws -> MappedPixels {
        let path = path(forKey: header.key)
        // a published file is complete (rename is atomic), so a valid one can be mapped unlocked
        if let mapped = try MappedPixels.map(path, expected: header) { return mapped }
        let lock = try lockFolder(path, key: key)
        defer { lock.release() }
        if let mapped = try MappedPixels.map(path, expected: header) { return mapped }   // built while we waited
        try writeFile(path, header: header, fill: fill)
        guard let mapped = try MappedPixels.map(path, expected: header) else {
            throw InputError("\(path): the pixel cache file for \(key) does not read back after writing it")
        }
        return mapped
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
