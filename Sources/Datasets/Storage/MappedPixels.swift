// A PixelCache file mapped read-only and MAP_SHARED: every process on the node that maps it reads
// the same page-cache pages, so the pixels are held once per node however many ranks train. The
// mapping lives as long as this object (ImageSets and their subsets share it) and is unmapped in
// deinit. MAP_POPULATE fills the page tables at map time, so training takes no page fault on its
// first touch of an image. The descriptor is closed right after mmap; the mapping keeps the file's
// pages alive even if a newer cache file is renamed over its name later.
//
// SIGBUS safety: touching a page of a mapping beyond the end of its file raises SIGBUS, so a mapped
// file must never shrink. PixelCache files are owned by dtrain, written whole under a temporary
// name and only ever replaced by rename(2), which swaps the name to a new inode and leaves the
// mapped one untouched; nothing in dtrain truncates or rewrites a published cache file.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Core

final class MappedPixels {
    let path: String
    let header: PixelCacheHeader
    private let base: UnsafeMutableRawPointer      // the whole file, header.fileBytes long
    /// The pixels, (count, C, H, W).
    let payload: UnsafePointer<UInt8>

    private init(path: String, header: PixelCacheHeader, base: UnsafeMutableRawPointer) {
        self.path = path
        self.header = header
        self.base = base
        payload = UnsafePointer(base.advanced(by: PixelCacheHeader.size).assumingMemoryBound(to: UInt8.self))
    }

    deinit { munmap(base, header.fileBytes) }

    /// Maps `path` if it is a valid cache file for `expected` (same key, count and shape, exact
    /// length); nil when it is missing, short, damaged or for other data. Throws only when a
    /// valid file cannot be mapped.
    static func map(_ path: String, expected: PixelCacheHeader) throws -> MappedPixels? {
        try map(path) { $0 == expected }
    }

    /// The labels of a labelled file (header.classes > 0), each checked to be in 0..<classes;
    /// nil when one is not (a damaged file).
    var labels: [Int32]? {
        guard header.classes > 0 else { return nil }
        let raw = UnsafeRawPointer(payload + header.payloadBytes)
        var labels = [Int32](repeating: 0, count: header.count)
        for i in 0 ..< header.count {
            let v = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
            guard v >= 0, Int(v) < header.classes else { return nil }
            labels[i] = v
        }
        return labels
    }

    /// Maps `path` if its header is one `accept` takes and the file has exactly that header's
    /// length; nil otherwise.
    static func map(_ path: String, accept: (PixelCacheHeader) -> Bool) throws -> MappedPixels? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)      // a FIFO planted here must not block
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) >= PixelCacheHeader.size else {
            return nil
        }
        let found = withUnsafeTemporaryAllocation(byteCount: PixelCacheHeader.size, alignment: 16) { page -> PixelCacheHeader? in
            var done = 0
            while done < page.count {
                let n = pread(fd, page.baseAddress! + done, page.count - done, off_t(done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return nil }
                done += n
            }
            return PixelCacheHeader.read(from: page.baseAddress!)
        }
        guard let expected = found, accept(expected), Int(info.st_size) == expected.fileBytes else { return nil }
        guard let base = mmap(nil, expected.fileBytes, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0), base != MAP_FAILED else {
            throw InputError("\(path): cannot map the pixel cache file (\(errnoText()))")
        }
        return MappedPixels(path: path, header: expected, base: base)
    }
}
