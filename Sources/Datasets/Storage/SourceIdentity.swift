// What identifies the version of a source file in a PixelCache key, the one scheme every reader
// uses: its canonical path (realpath: symbolic links and "..", so two spellings of one file share
// a cache file), size, modification time in ns and inode (a file replaced by rename changes inode
// even when size and mtime match). A different line means the cached pixels may be stale.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Core

enum SourceIdentity {
    /// "<realpath>|size <bytes>|mtime <ns>|inode <n>" of `path`; InputError when it cannot be stat'ed.
    static func of(_ path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw InputError("\(path): cannot stat data file (\(errnoText()))") }
        let mtime = Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
        return "\(realPath(path))|size \(info.st_size)|mtime \(mtime)|inode \(info.st_ino)"
    }

    /// The canonical absolute path of `path` (symbolic links resolved), or `path` when that fails.
    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
