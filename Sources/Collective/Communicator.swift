// Communicator: the collective operations dtrain's data-parallel training needs, over any backend:
// MPICommunicator (MPI across processes), LocalCommunicator (the single-process identity) and
// ThreadCommunicator (P ranks as threads of one process, over shared memory, for tests). Nothing
// MPI-typed crosses this API.
// All collectives are blocking and must be called by every rank in the same order with the same
// counts; the one exception is startAllreduceSum/wait, for overlapping gradient buckets with backward.

import Core

/// The ranks of one job and the collectives between them.
public protocol Communicator: AnyObject {
    /// This process's rank, 0 ..< size.
    var rank: Int { get }
    /// The number of ranks in the job.
    var size: Int { get }
    /// "mpi", "local" or "threads".
    var kind: String { get }

    /// Element-wise sum across ranks, in place: every rank ends with the same sums.
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>)
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>)
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Int64>)
    /// Element-wise sum onto `root` only (the parameter-server pattern); other ranks' buffers are
    /// left as they were.
    func reduceSum(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int)
    /// Element-wise sum of 16-bit floats in `format` (train.compress), in place on every rank.
    /// Each combine of two ranks' values is `format.add`: widen to fp32, add, round once (nearest
    /// even, finite overflow clamped; HalfFloat.swift). At 2 ranks the result is exactly the fp32
    /// sum of the two inputs rounded once; with more ranks each of the size - 1 combines rounds,
    /// in the backend's order (MPI's algorithm; threads: rank order), and every rank gets the same bits.
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<UInt16>, format: HalfFormat)
    /// The 16-bit sum (as `allreduceSum(_:format:)`) onto `root` only; other ranks' buffers are
    /// left as they were.
    func reduceSum(_ buffer: UnsafeMutableBufferPointer<UInt16>, format: HalfFormat, root: Int)
    /// Element-wise maximum across ranks, in place.
    func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// Copies `root`'s buffer into every rank's buffer (same count on every rank).
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int)
    /// Returns `root`'s bytes on every rank; the other ranks' `bytes` are ignored (any length).
    func broadcast(bytes: [UInt8], root: Int) -> [UInt8]
    /// Returns every rank's record, indexed by rank; records may differ in length.
    func allgather(bytes: [UInt8]) -> [[UInt8]]
    /// Returns once every rank has called it.
    func barrier()
    /// Prints "error: <message>" to stderr ("rank R: error: ..." when size > 1), flushes, and ends
    /// the whole job with `code` — never leaves the other ranks blocked.
    func abort(message: String, code: Int32) -> Never
    /// Shuts the backend down; idempotent. No collective may follow.
    func finalize()

    /// Starts an in-place sum across ranks without waiting for it. The buffer must stay alive and
    /// untouched until `wait` returns; every rank must start its reductions in the same order.
    func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingReduction
    /// The non-blocking `allreduceSum(_:format:)`, under the same rules as the Float one.
    func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<UInt16>, format: HalfFormat) -> PendingReduction
    /// Blocks until `pending` has completed; waiting again is a no-op.
    func wait(_ pending: PendingReduction)

    /// Stall detection (Horovod's stall check) before a collective of step `step`: ranks other
    /// than 0 announce that they reached it (a tiny non-blocking send); rank 0 waits until every
    /// rank has, calling `stalled(missingRanks, seconds)` each time another `warnAfter` seconds
    /// pass without them. Every rank calls it once per step, in step order.
    func arrive(step: Int, warnAfter: Double, stalled: ([Int], Double) -> Void)
}

/// A reduction started by `startAllreduceSum`, opaque to callers. The MPI backend keeps its
/// requests in `state`; nil means complete (the local and thread backends' reductions always are).
public final class PendingReduction {
    var state: AnyObject?

    init(state: AnyObject?) {
        self.state = state
    }

    /// Whether `wait` has nothing left to do.
    public var isComplete: Bool { state == nil }
}
