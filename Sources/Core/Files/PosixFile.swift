// Thin POSIX file access, the one in dtrain: open, size, read/pread/write loops that retry on EINTR
// and short transfers, fsync, close — for checkpoints, data files and atomic writes. Every failure
// becomes an InputError naming the path and strerror(errno). Renames and unlinks live with their
// only user, AtomicFile.swift.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An open file descriptor, closed when the last reference goes away.
public final class PosixFile {
    public let path: String
    public private(set) var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { if fd >= 0 { _ = systemClose(fd) } }

    /// strerror(errno), for messages.
    public static func errnoMessage() -> String { errnoText() }

    /// Opens a regular file for sequential reading (`what` names it in messages: "data file");
    /// a directory or special file is an InputError. The open is non-blocking, so a FIFO (which
    /// would wait for a writer) is refused rather than hanging; O_NONBLOCK is cleared once the
    /// file is known to be regular.
    public static func openRegular(_ path: String, what: String) throws -> PosixFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw InputError("\(path): cannot open \(what) (\(errnoText()))") }
        let file = PosixFile(path: path, fd: fd)
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw InputError("\(path): cannot stat \(what) (\(errnoText()))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw InputError("\(path): expected a regular \(what), found a directory, FIFO or other special file")
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            throw InputError("\(path): cannot make \(what) blocking (\(errnoText()))")
        }
        return file
    }

    /// Reads at most `count` bytes at the file position; 0 at end of file.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let n = systemRead(fd, buffer, count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw InputError("\(path): read failed (\(errnoText()))") }
            return n
        }
    }

    /// Reads until `count` bytes or end of file; returns how many.
    public func fill(_ buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        var filled = 0
        while filled < count {
            let n = try read(into: buffer + filled, count: count - filled)
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    public static func openForReading(_ path: String) throws -> PosixFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError("\(path): cannot open: \(PosixFile.errnoMessage())") }
        return PosixFile(path: path, fd: fd)
    }

    /// Creates a file that must not exist yet (O_CREAT | O_EXCL); nil when it already exists.
    public static func createExclusive(_ path: String, failure: String) throws -> PosixFile? {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd >= 0 { return PosixFile(path: path, fd: fd) }
        if errno == EEXIST { return nil }
        throw InputError("\(failure): \(PosixFile.errnoMessage())")
    }

    /// Opens a directory so that it can be fsynced after a rename inside it.
    public static func openDirectory(_ path: String, failure: String) throws -> PosixFile {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError("\(failure): \(PosixFile.errnoMessage())") }
        return PosixFile(path: path, fd: fd)
    }

    public func size() throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw InputError("\(path): cannot stat: \(PosixFile.errnoMessage())") }
        return Int(info.st_size)
    }

    /// Reads exactly `buffer.count` bytes at `offset`; false if the file ends first.
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError("\(path): cannot read: \(PosixFile.errnoMessage())")
            }
            if n == 0 { return false }
            done += n
        }
        return true
    }

    public func write(_ bytes: UnsafeRawBufferPointer, failure: String) throws {
        var done = 0
        while done < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError("\(failure): \(PosixFile.errnoMessage())")
            }
            done += n
        }
    }

    public func sync(failure: String) throws {
        guard fsync(fd) == 0 else { throw InputError("\(failure): \(PosixFile.errnoMessage())") }
    }

    /// Closes now (close can report a deferred write error, so writers check it).
    public func close(failure: String) throws {
        let result = systemClose(fd)
        fd = -1
        guard result == 0 else { throw InputError("\(failure): \(PosixFile.errnoMessage())") }
    }
}


/// strerror(errno), for messages.
public func errnoText() -> String { String(cString: strerror(errno)) }

// `close`, `read` and `write` are shadowed by the methods above; these name the C functions.
private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}

private func systemWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buf, count)
    #else
    return Darwin.write(fd, buf, count)
    #endif
}

private func systemRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buf, count)
    #else
    return Darwin.read(fd, buf, count)
    #endif
}
