// MPICommunicator: the Communicator over Open MPI's MPI_COMM_WORLD, and the only Swift file that
// calls MPI. Errors come back as codes (MPI_ERRORS_RETURN); every code is checked and a failure
// takes the job down with the call's name and MPI_Error_string. MPI counts are Int32, so buffers
// longer than `maxCountPerCall` elements go in chunks. Leaves out sub-communicators and threads.
// 16-bit sums (train.compress) travel as MPI_UINT16_T under a user-defined, commutative op per
// format (MPI_Op_create, made in init): widen to fp32, add, round back (HalfFormat.add).

import Core
import CMPI
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One rank of an MPI job; made by `makeCommunicator(.mpi)` or `.auto` under mpirun.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public var kind: String { "mpi" }

    /// The most elements passed to one MPI call; the self-check lowers it to exercise chunking.
    var maxCountPerCall = Int(Int32.max)
    private let comm: MPI_Comm = cmpi_comm_world()

    /// Initialises MPI unless this process already has, and makes errors return as codes.
    init() throws {
        var initialized: Int32 = 0, finalized: Int32 = 0
        try mpiThrowing(MPI_Initialized(&initialized), "MPI_Initialized")
        try mpiThrowing(MPI_Finalized(&finalized), "MPI_Finalized")
        if finalized != 0 { throw CommunicatorError.mpiAlreadyFinalized }
        if initialized == 0 {
            // FUNNELED: only this thread calls MPI, but the process has others (rank 0 writes
            // checkpoints on a background thread, BackgroundWrites.swift)
            var provided: Int32 = 0
            try mpiThrowing(MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided), "MPI_Init_thread")
            guard provided >= cmpi_thread_funneled() else {
                throw CommunicatorError.mpiFailed(call: "MPI_Init_thread", message: "provided thread level \(provided), below MPI_THREAD_FUNNELED (\(cmpi_thread_funneled())), which dtrain's background checkpoint writer needs")
            }
        }
        try mpiThrowing(MPI_Comm_set_errhandler(comm, cmpi_errors_return()), "MPI_Comm_set_errhandler")
        var r: Int32 = 0, n: Int32 = 0
        try mpiThrowing(MPI_Comm_rank(comm, &r), "MPI_Comm_rank")
        try mpiThrowing(MPI_Comm_size(comm, &n), "MPI_Comm_size")
        rank = Int(r)
        size = Int(n)
        arrivalSlots = .allocate(capacity: max(size, 1))
        arrivalLate = .allocate(capacity: max(size, 1))
        try mpiThrowing(MPI_Op_create({ source, destination, count, _ in
            HalfFormat.fp16.accumulate(source!.assumingMemoryBound(to: UInt16.self),
                                       into: destination!.assumingMemoryBound(to: UInt16.self), count: Int(count!.pointee))
        }, 1, &fp16SumOp), "MPI_Op_create")
        try mpiThrowing(MPI_Op_create({ source, destination, count, _ in
            HalfFormat.bf16.accumulate(source!.assumingMemoryBound(to: UInt16.self),
                                       into: destination!.assumingMemoryBound(to: UInt16.self), count: Int(count!.pointee))
        }, 1, &bf16SumOp), "MPI_Op_create")
    }

    /// The user-defined sums of 16-bit floats, one per format; freed in finalize.
    private var fp16SumOp: MPI_Op? = cmpi_op_null()
    private var bf16SumOp: MPI_Op? = cmpi_op_null()
    private func sumOp(_ format: HalfFormat) -> MPI_Op? { format == .fp16 ? fp16SumOp : bf16SumOp }

    deinit {
        // A rank's last announcement may still be in flight from arrivalSlots: complete it first
        // (finalize does the same); rank 0's receives all completed inside arrive.
        var finalized: Int32 = 0
        if rank != 0, size > 1, MPI_Finalized(&finalized) == cmpi_success(), finalized == 0 {
            _ = MPI_Wait(&arrivalRequests[0], cmpi_status_ignore())
        }
        arrivalSlots.deallocate()
        arrivalLate.deallocate()
    }

    // MARK: reductions

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        allreduce(buffer, cmpi_float(), cmpi_op_sum())
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        allreduce(buffer, cmpi_double(), cmpi_op_sum())
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Int64>) {
        allreduce(buffer, cmpi_int64(), cmpi_op_sum())
    }

    public func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) {
        allreduce(buffer, cmpi_double(), cmpi_op_max())
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<UInt16>, format: HalfFormat) {
        allreduce(buffer, cmpi_uint16(), sumOp(format))
    }

    public func reduceSum(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
        reduce(buffer, cmpi_float(), cmpi_op_sum(), root: root)
    }

    public func reduceSum(_ buffer: UnsafeMutableBufferPointer<UInt16>, format: HalfFormat, root: Int) {
        reduce(buffer, cmpi_uint16(), sumOp(format), root: root)
    }

    private func reduce<T>(_ buffer: UnsafeMutableBufferPointer<T>, _ type: MPI_Datatype, _ op: MPI_Op?, root: Int) {
        checkRoot(root, "reduceSum")
        guard let base = buffer.baseAddress else { return }
        forEachChunk(buffer.count) { offset, count in
            let send: UnsafeRawPointer? = rank == root ? UnsafeRawPointer(cmpi_in_place()) : UnsafeRawPointer(base + offset)
            check(MPI_Reduce(send, base + offset, count, type, op, Int32(root), comm), "MPI_Reduce")
        }
    }

    private func allreduce<T>(_ buffer: UnsafeMutableBufferPointer<T>, _ type: MPI_Datatype, _ op: MPI_Op?) {
        guard let base = buffer.baseAddress else { return }
        forEachChunk(buffer.count) { offset, count in
            check(MPI_Allreduce(cmpi_in_place(), base + offset, count, type, op, comm), "MPI_Allreduce")
        }
    }

    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingReduction {
        startAllreduce(buffer, cmpi_float(), cmpi_op_sum())
    }

    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<UInt16>, format: HalfFormat) -> PendingReduction {
        startAllreduce(buffer, cmpi_uint16(), sumOp(format))
    }

    private func startAllreduce<T>(_ buffer: UnsafeMutableBufferPointer<T>, _ type: MPI_Datatype, _ op: MPI_Op?) -> PendingReduction {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return PendingReduction(state: nil) }
        let requests = RequestSet()
        forEachChunk(buffer.count) { offset, count in
            var request: MPI_Request? = cmpi_request_null()
            check(MPI_Iallreduce(cmpi_in_place(), base + offset, count, type, op, comm,
                                 &request), "MPI_Iallreduce")
            requests.handles.append(request)
        }
        return PendingReduction(state: requests)
    }

    public func wait(_ pending: PendingReduction) {
        guard let requests = pending.state as? RequestSet else { return }
        check(MPI_Waitall(Int32(requests.handles.count), &requests.handles, cmpi_statuses_ignore()), "MPI_Waitall")
        pending.state = nil
    }

    // MARK: stall detection

    private static let arrivalTag: Int32 = 0x57A1
    /// The stall check's announced steps (one per rank) and the ranks not yet arrived; allocated
    /// once in init, freed in deinit.
    private let arrivalSlots: UnsafeMutablePointer<Int64>
    private let arrivalLate: UnsafeMutablePointer<Int32>
    private lazy var arrivalRequests = [MPI_Request?](repeating: cmpi_request_null(), count: max(size, 1))

    public func arrive(step: Int, warnAfter: Double, stalled: ([Int], Double) -> Void) {
        guard size > 1 else { return }
        if rank != 0 {
            // the previous announcement left long ago (rank 0 received it before that step's
            // allreduce could finish); completing it here frees its request before reuse
            check(MPI_Wait(&arrivalRequests[0], cmpi_status_ignore()), "MPI_Wait")
            arrivalSlots[0] = Int64(step)
            check(MPI_Isend(arrivalSlots, 1, cmpi_int64(), 0, Self.arrivalTag, comm, &arrivalRequests[0]), "MPI_Isend")
            return
        }
        for r in 1..<size {
            check(MPI_Irecv(arrivalSlots + r, 1, cmpi_int64(), Int32(r), Self.arrivalTag, comm, &arrivalRequests[r]), "MPI_Irecv")
        }
        // Poll without allocating: `late` holds the ranks not yet arrived in its first `remaining`
        // slots. Spin for the first 50 µs (the usual case: the other ranks are microseconds away),
        // then yield the core between polls; the clock is read every 64 polls only.
        let late = arrivalLate
        var remaining = size - 1
        for r in 1..<size { late[r - 1] = Int32(r) }
        var start = -1.0, nextWarning = warnAfter, polls = 0
        while true {
            var i = 0
            while i < remaining {
                var done: Int32 = 0
                check(MPI_Test(&arrivalRequests[Int(late[i])], &done, cmpi_status_ignore()), "MPI_Test")
                if done != 0 { remaining -= 1; late[i] = late[remaining] } else { i += 1 }
            }
            if remaining == 0 { return }
            polls += 1
            guard polls & 63 == 0 else { continue }
            let now = monotonicNow()
            if start < 0 { start = now; continue }
            let waited = now - start
            if waited >= nextWarning {
                stalled((0..<remaining).map { Int(late[$0]) }.sorted(), waited)
                nextWarning += warnAfter
            }
            if waited > 50e-6 { sched_yield() }
        }
    }

    private func monotonicNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    // MARK: broadcast, gather, barrier

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
        checkRoot(root, "broadcast")
        broadcastRaw(UnsafeMutableRawBufferPointer(buffer), root: root)
    }

    public func broadcast(bytes: [UInt8], root: Int) -> [UInt8] {
        checkRoot(root, "broadcast(bytes:)")
        var length = Int64(rank == root ? bytes.count : 0)
        check(MPI_Bcast(&length, 1, cmpi_int64(), Int32(root), comm), "MPI_Bcast")
        var result = rank == root ? bytes : [UInt8](repeating: 0, count: Int(length))
        result.withUnsafeMutableBytes { broadcastRaw($0, root: root) }
        return result
    }

    /// Broadcasts raw bytes, in chunks of at most maxCountPerCall.
    private func broadcastRaw(_ raw: UnsafeMutableRawBufferPointer, root: Int) {
        guard let base = raw.baseAddress else { return }
        forEachChunk(raw.count) { offset, count in
            check(MPI_Bcast(base + offset, count, cmpi_byte(), Int32(root), comm), "MPI_Bcast")
        }
    }

    public func allgather(bytes: [UInt8]) -> [[UInt8]] {
        var lengths = [Int64](repeating: 0, count: size)
        var mine = Int64(bytes.count)
        check(MPI_Allgather(&mine, 1, cmpi_int64(), &lengths, 1, cmpi_int64(), comm), "MPI_Allgather")
        let total = Int(lengths.reduce(0, +))
        guard total <= maxCountPerCall else {
            // Too long for Int32 displacements: each rank broadcasts its own record in chunks.
            return (0..<size).map { broadcast(bytes: $0 == rank ? bytes : [], root: $0) }
        }
        var counts = lengths.map { Int32($0) }
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<size { displacements[r] = displacements[r - 1] + counts[r - 1] }
        var gathered = [UInt8](repeating: 0, count: max(total, 1))  // never a nil buffer
        var send = bytes.isEmpty ? [0] : bytes
        check(MPI_Allgatherv(&send, Int32(bytes.count), cmpi_byte(), &gathered, &counts, &displacements,
                             cmpi_byte(), comm), "MPI_Allgatherv")
        return (0..<size).map { r in
            let start = Int(displacements[r])
            return Array(gathered[start..<(start + Int(counts[r]))])
        }
    }

    public func barrier() {
        check(MPI_Barrier(comm), "MPI_Barrier")
    }

    // MARK: ending

    public func finalize() {
        var finalized: Int32 = 0
        check(MPI_Finalized(&finalized), "MPI_Finalized")
        guard finalized == 0 else { return }
        if rank != 0, size > 1 { check(MPI_Wait(&arrivalRequests[0], cmpi_status_ignore()), "MPI_Wait") }
        check(MPI_Op_free(&fp16SumOp), "MPI_Op_free")
        check(MPI_Op_free(&bf16SumOp), "MPI_Op_free")
        check(MPI_Finalize(), "MPI_Finalize")
    }

    public func abort(message: String, code: Int32) -> Never {
        fflush(stdout)
        fputs("\(size > 1 ? "rank \(rank): " : "")error: \(message)\n", stderr)
        fflush(stderr)
        var finalized: Int32 = 0
        if MPI_Finalized(&finalized) == cmpi_success(), finalized == 0 {
            _ = MPI_Abort(comm, code)
        }
        exit(code)
    }

    // MARK: helpers

    /// Calls `body(offset, count)` over 0 ..< total in pieces of at most maxCountPerCall elements.
    private func forEachChunk(_ total: Int, _ body: (Int, Int32) -> Void) {
        var offset = 0
        while offset < total {
            let count = min(maxCountPerCall, total - offset)
            body(offset, Int32(count))
            offset += count
        }
    }

    /// Ends the job unless `root` is a rank; `call` names the collective (broadcast or reduceSum).
    private func checkRoot(_ root: Int, _ call: String) {
        if !(0..<size).contains(root) { abort(message: "\(call): root \(root) is not a rank of 0..<\(size)", code: 1) }
    }

    private func check(_ code: Int32, _ call: String) {
        if code != cmpi_success() { abort(message: "\(call) failed: \(mpiErrorString(code))", code: 1) }
    }
}

/// The requests of one non-blocking reduction (one per chunk).
private final class RequestSet {
    var handles: [MPI_Request?] = []
}

private func mpiThrowing(_ code: Int32, _ call: String) throws {
    if code != cmpi_success() { throw CommunicatorError.mpiFailed(call: call, message: mpiErrorString(code)) }
}

private func mpiErrorString(_ code: Int32) -> String {
    var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
    var length: Int32 = 0
    guard MPI_Error_string(code, &text, &length) == cmpi_success() else { return "MPI error code \(code)" }
    return String(cString: text)
}
