// Allocations whose size comes from input (a model's parameters, activations, workspaces): a
// failure ends the process through `AllocationFailure.handler` with one line naming what could not
// be allocated and how much, exit 1 — under mpirun the dtrain executable points the handler at
// MPI_Abort, so the other ranks go down too — instead of a runtime trap. The memory pre-flight
// refuses models that do not fit before any of this runs; this is the net below it (another job
// took the memory meanwhile, overcommit refused, a size the estimate did not foresee).
// Memory from `allocateChecked` is released with `releaseChecked` (free), never `deallocate`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum AllocationFailure {
    /// Called with the message when an allocation fails; never returns. The default prints
    /// "error: <message>" and exits 1. Set once at start-up (before any other thread runs).
    nonisolated(unsafe) public static var handler: (String) -> Never = { message in
        fflush(stdout)
        fputs("error: \(message)\n", stderr)
        exit(1)
    }
}

/// `count` uninitialised values of `T` (at least one), 64-byte aligned; on failure (or a byte
/// count that overflows) the process ends through `AllocationFailure.handler`.
public func allocateChecked<T>(_ type: T.Type, count: Int, for what: @autoclosure () -> String) -> UnsafeMutablePointer<T> {
    let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<T>.stride)
    var raw: UnsafeMutableRawPointer? = nil
    if !overflow, count >= 0, posix_memalign(&raw, 64, bytes) == 0, let raw {
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }
    let size = overflow ? "more than \(Int.max) bytes" : "\(bytes) bytes (\(bytes >> 20) MiB)"
    AllocationFailure.handler("out of memory: cannot allocate \(size) for \(what()); lower train.batch_size or the model's size")
}

/// Releases what `allocateChecked` returned.
public func releaseChecked<T>(_ pointer: UnsafeMutablePointer<T>) { free(pointer) }
