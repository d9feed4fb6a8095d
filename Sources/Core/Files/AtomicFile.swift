// Atomic file replacement: write a temp file in the target's folder, fsync it, rename it over the
// target, fsync the folder. A reader sees the old file or the new one, never a torn one; on any
// failure the temp file is removed and the previous target is untouched. linkAtomically gives a
// written file more names the same way (hard links), without writing or fsyncing it again.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Streams a file's contents through `produce`, which calls `write` with each chunk, and then
/// replaces `path` atomically. Throws InputError("<path>: cannot write: <reason>").
public func writeAtomically(to path: String,
                            _ produce: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
    let failure = "\(path): cannot write"
    let folder = parentFolder(of: path)
    let name = (path as NSString).lastPathComponent
    guard !name.isEmpty, name != ".", name != ".." else { throw InputError("\(failure): not a file name") }

    // `.<name>.tmp-<pid>`; a stale temp from a crashed process with a recycled pid is left alone.
    var temp = "", file: PosixFile? = nil
    for attempt in 0..<64 where file == nil {
        temp = folder + "/.\(name).tmp-\(getpid())" + (attempt == 0 ? "" : "-\(attempt)")
        file = try PosixFile.createExclusive(temp, failure: failure)
    }
    guard let file else { throw InputError("\(failure): too many stale temp files in \(folder)") }

    do {
        try produce { bytes in try file.write(bytes, failure: failure) }
        try file.sync(failure: failure)
        try file.close(failure: failure)
        guard rename(temp, path) == 0 else { throw InputError("\(failure): \(PosixFile.errnoMessage())") }
    } catch {
        unlink(temp)
        throw error
    }
    // The rename is done; make it durable. Some filesystems cannot fsync a folder (EINVAL).
    let dir = try PosixFile.openDirectory(folder, failure: failure)
    if fsync(dir.fd) != 0 && errno != EINVAL { throw InputError("\(failure): \(PosixFile.errnoMessage())") }
}

/// Gives the complete, already durable file `existing` the further names `paths` (in its folder)
/// without writing it again: each is a hard link made under a temp name and renamed over its
/// target (atomic as above), then the folder is fsynced once. Safe because dtrain never changes a
/// written file in place: a later replacement of one name renames a new inode over it and leaves the
/// others alone. Returns false, with nothing changed, where the filesystem has no hard links (then
/// write each copy); throws InputError("<path>: cannot write: <reason>") on any other failure.
public func linkAtomically(_ existing: String, to paths: [String]) throws -> Bool {
    guard let first = paths.first else { return true }
    let folder = parentFolder(of: existing)
    for (i, path) in paths.enumerated() {
        let failure = "\(path): cannot write"
        guard parentFolder(of: path) == folder else { throw InputError("\(failure): not in the folder of \(existing)") }
        let temp = folder + "/.\((path as NSString).lastPathComponent).tmp-\(getpid())-link"
        unlink(temp)
        if link(existing, temp) != 0 {
            let code = errno
            if i == 0, [EPERM, EXDEV, ENOTSUP, EOPNOTSUPP, EMLINK, ENOSYS].contains(code) { return false }
            throw InputError("\(failure): \(String(cString: strerror(code)))")
        }
        guard rename(temp, path) == 0 else {
            let message = PosixFile.errnoMessage()
            unlink(temp)
            throw InputError("\(failure): \(message)")
        }
    }
    let dir = try PosixFile.openDirectory(folder, failure: "\(first): cannot write")
    if fsync(dir.fd) != 0 && errno != EINVAL { throw InputError("\(first): cannot write: \(PosixFile.errnoMessage())") }
    return true
}

/// Replaces `path` atomically with `bytes`.
public func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    try writeAtomically(to: path) { write in try bytes.withUnsafeBytes { try write($0) } }
}

/// Replaces `path` atomically with `data`.
public func writeAtomically(_ data: Data, to path: String) throws {
    try writeAtomically(to: path) { write in try data.withUnsafeBytes { try write($0) } }
}

/// Makes sure `path` is a folder this process can create files in: creates it (and its parents)
/// if missing, then writes and removes a probe file. Call before training, not after an epoch.
public func checkWritableDirectory(_ path: String) throws {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
        guard isFolder.boolValue else { throw InputError("\(path): output folder is a file, expected a folder") }
    } else {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            // name the first part of the path that exists but is not a folder, if any
            var blocker = path
            var isDirectory: ObjCBool = false
            var prefix = path.hasPrefix("/") ? "" : "."
            for part in path.split(separator: "/") {
                prefix += "/" + part
                if FileManager.default.fileExists(atPath: prefix, isDirectory: &isDirectory), !isDirectory.boolValue {
                    blocker = prefix
                    break
                }
            }
            throw InputError(blocker != path
                ? "\(path): cannot create output folder: \(blocker) is a file, expected a folder (or nothing) there"
                : "\(path): cannot create output folder: permission denied or read-only file system")
        }
    }
    let probe = path + "/.dtrain-probe-\(getpid())"
    let failure = "\(path): output folder is not writable"
    guard let file = try PosixFile.createExclusive(probe, failure: failure) else {
        throw InputError("\(failure): \(probe) is in the way")
    }
    defer { unlink(probe) }
    try [UInt8]("probe\n".utf8).withUnsafeBytes { try file.write($0, failure: failure) }
    try file.close(failure: failure)
}

/// The folder holding `path` ("." for a bare file name).
private func parentFolder(of path: String) -> String {
    let folder = (path as NSString).deletingLastPathComponent
    return folder.isEmpty ? "." : folder
}
