// LocalCommunicator: a world of one rank, for running dtrain without mpirun. Every collective is
// the identity and nothing here calls MPI (not even MPI_Init), so it works where MPI is absent.

#if canImport(Glibc)
import Core
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rank 0 of a world of size 1.
public final class LocalCommunicator: Communicator {
    public init() {}

    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var kind: String { "local" }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Int64>) {}
    public func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func reduceSum(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) { checkRoot(root, "reduceSum") }
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<UInt16>, format: HalfFormat) {}
    public func reduceSum(_ buffer: UnsafeMutableBufferPointer<UInt16>, format: HalfFormat, root: Int) {
        checkRoot(root, "reduceSum")
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
        checkRoot(root, "broadcast")
    }

    public func broadcast(bytes: [UInt8], root: Int) -> [UInt8] {
        checkRoot(root, "broadcast(bytes:)")
        return bytes
    }

    public func allgather(bytes: [UInt8]) -> [[UInt8]] { [bytes] }
    public func barrier() {}
    public func finalize() {}

    public func abort(message: String, code: Int32) -> Never {
        fflush(stdout)
        fputs("error: \(message)\n", stderr)
        fflush(stderr)
        exit(code)
    }

    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingReduction {
        PendingReduction(state: nil)
    }

    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<UInt16>, format: HalfFormat) -> PendingReduction {
        PendingReduction(state: nil)
    }

    public func wait(_ pending: PendingReduction) {}
    public func arrive(step: Int, warnAfter: Double, stalled: ([Int], Double) -> Void) {}

    /// Ends the process unless `root` is 0; `call` names the collective (broadcast or reduceSum).
    private func checkRoot(_ root: Int, _ call: String) {
        if root != 0 { abort(message: "\(call): root \(root) is not a rank of a world of size 1", code: 1) }
    }
}
