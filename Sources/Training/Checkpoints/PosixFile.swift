// Thin POSIX file access for checkpoints: open, size, pread/write loops that retry on EINTR and
// short transfers, fsync, close. Every failure becomes an InputError naming the path and
// strerror(errno). Renames and unlinks live with their only user, AtomicFile.swift.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NN

/// An open file descriptor, closed when the last reference goes away.
final class PosixFile {
    let path: String
    private(set) var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { if fd >= 0 { _ = systemClose(fd) } }

    /// strerror(errno), for messages.
    static func errnoMessage() -> String { String(cString: strerror(errno)) }

    static func openForReading(_ path: String) throws -> PosixFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError("\(path): cannot open: \(PosixFile.errnoMessage())") }
        return PosixFile(path: path, fd: fd)
    }

    /// Creates a file that must not exist yet (O_CREAT | O_EXCL); nil when it already exists.
    static func createExclusive(_ path: String, failure: String) throws -> PosixFile? {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd >= 0 { return PosixFile(path: path, fd: fd) }
        if errno == EEXIST { return nil }
        throw InputError("\(failure): \(PosixFile.errnoMessage())")
    }

    /// Opens a directory so that it can be fsynced after a rename inside it.
    static func openDirectory(_ path: String, failure: String) throws -> PosixFile {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError("\(failure): \(PosixFile.errnoMessage())") }
        return PosixFile(path: path, fd: fd)
    }

    func size() throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw InputError("\(path): cannot stat: \(PosixFile.errnoMessage())") }
        return Int(info.st_size)
    }

    /// Reads exactly `buffer.count` bytes at `offset`; false if the file ends first.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
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

    func write(_ bytes: UnsafeRawBufferPointer, failure: String) throws {
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

    func sync(failure: String) throws {
        guard fsync(fd) == 0 else { throw InputError("\(failure): \(PosixFile.errnoMessage())") }
    }

    /// Closes now (close can report a deferred write error, so writers check it).
    func close(failure: String) throws {
        let result = systemClose(fd)
        fd = -1
        guard result == 0 else { throw InputError("\(failure): \(PosixFile.errnoMessage())") }
    }
}


// `close` and `write` are shadowed by the methods above; these name the C functions.
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
