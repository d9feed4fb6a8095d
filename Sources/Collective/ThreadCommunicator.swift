// ThreadCommunicator: rank r's Communicator in a ThreadWorld (ThreadWorld.swift explains the
// rendezvous): sums (fp32, fp64, int64, and 16-bit floats combined as HalfFormat.add) in P chunks
// in rank order, root-only reduce, broadcasts, byte gathers, the barrier and the stall check,
// every call checked against the other ranks' operation and count.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Core

/// One rank of a ThreadWorld. Every collective must be called by all ranks of the world, each
/// from its own thread, in the same order with the same counts.
public final class ThreadCommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public var size: Int { world.size }
    public var kind: String { "threads" }

    private let world: ThreadWorld
    /// The PendingReduction every startAllreduceSum returns: already complete (eager sums).
    private let completed = PendingReduction(state: nil)

    init(world: ThreadWorld, rank: Int) {
        self.world = world
        self.rank = rank
    }

    // MARK: reductions

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        allreduce(buffer, .sumFloat, +)
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        allreduce(buffer, .sumDouble, +)
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Int64>) {
        allreduce(buffer, .sumInt64, &+)
    }

    public func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) {
        // Swift.max keeps the first argument on NaN ties; MPI_MAX's NaN behaviour is unspecified too.
        allreduce(buffer, .maxDouble) { Swift.max($0, $1) }
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<UInt16>, format: HalfFormat) {
        allreduce(buffer, .sumHalf(format), format.add)
    }

    public func reduceSum(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
        reduce(buffer, .reduceFloat, root: root, combine: +)
    }

    public func reduceSum(_ buffer: UnsafeMutableBufferPointer<UInt16>, format: HalfFormat, root: Int) {
        reduce(buffer, .reduceHalf(format), root: root, combine: format.add)
    }

    private func reduce<T>(_ buffer: UnsafeMutableBufferPointer<T>, _ operation: CollectiveOperation, root: Int,
                           combine: (T, T) -> T) {
        checkRoot(root, operation)
        guard size > 1 else { return }
        post(operation, buffer, root: root)
        world.barrier(rank: rank)
        checkAgreement()
        // Rank r sums chunk r of every buffer into chunk r of root's buffer; no other rank touches it.
        let n = buffer.count
        if n > 0 {
            let destination = world.addresses[root]!.assumingMemoryBound(to: T.self)
            combineChunk(of: n, into: destination, combine: combine)
        }
        world.barrier(rank: rank)
    }

    private func allreduce<T>(_ buffer: UnsafeMutableBufferPointer<T>, _ operation: CollectiveOperation,
                              _ combine: (T, T) -> T) {
        guard size > 1 else { return }
        post(operation, buffer, root: 0)
        world.barrier(rank: rank)
        checkAgreement()
        let n = buffer.count
        guard n > 0, let own = buffer.baseAddress else {
            world.barrier(rank: rank)
            return
        }
        combineChunk(of: n, into: own, combine: combine)
        world.barrier(rank: rank)
        for q in 0..<size where q != rank {
            let (start, end) = chunk(q, of: n)
            let theirs = world.addresses[q]!.assumingMemoryBound(to: T.self)
            (own + start).update(from: theirs + start, count: end - start)
        }
        world.barrier(rank: rank)
    }

    /// Combines chunk `rank` of every posted buffer, in rank order, into `destination`'s chunk.
    @inline(__always)
    private func combineChunk<T>(of n: Int, into destination: UnsafeMutablePointer<T>, combine: (T, T) -> T) {
        let (start, end) = chunk(rank, of: n)
        guard start < end else { return }
        let sources = world.addresses
        var i = start
        while i < end {
            var acc = sources[0]!.assumingMemoryBound(to: T.self)[i]
            for q in 1..<size { acc = combine(acc, sources[q]!.assumingMemoryBound(to: T.self)[i]) }
            destination[i] = acc
            i += 1
        }
    }

    /// Chunk q of 0 ..< n: [q n / P, (q + 1) n / P).
    private func chunk(_ q: Int, of n: Int) -> (Int, Int) {
        (q * n / size, (q + 1) * n / size)
    }

    /// Eager: sums at once (blocking) and returns a completed reduction; see the file header.
    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingReduction {
        allreduceSum(buffer)
        return completed
    }

    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<UInt16>, format: HalfFormat) -> PendingReduction {
        allreduceSum(buffer, format: format)
        return completed
    }

    public func wait(_ pending: PendingReduction) {}

    // MARK: broadcast, gather, barrier

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
        checkRoot(root, .broadcastFloat)
        guard size > 1 else { return }
        post(.broadcastFloat, buffer, root: root)
        world.barrier(rank: rank)
        checkAgreement()
        if rank != root, let own = buffer.baseAddress, buffer.count > 0 {
            own.update(from: world.addresses[root]!.assumingMemoryBound(to: Float.self), count: buffer.count)
        }
        world.barrier(rank: rank)
    }

    public func broadcast(bytes: [UInt8], root: Int) -> [UInt8] {
        checkRoot(root, .broadcastBytes)
        guard size > 1 else { return bytes }
        return bytes.withUnsafeBufferPointer { mine in
            post(.broadcastBytes, address: UnsafeMutableRawPointer(mutating: mine.baseAddress), count: mine.count, root: root)
            world.barrier(rank: rank)
            checkAgreement(countsMustMatch: false)
            var result = bytes
            if rank != root {
                let count = world.counts[root]
                let source = world.addresses[root]?.assumingMemoryBound(to: UInt8.self)
                result = source.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
            }
            world.barrier(rank: rank)
            return result
        }
    }

    public func allgather(bytes: [UInt8]) -> [[UInt8]] {
        guard size > 1 else { return [bytes] }
        return bytes.withUnsafeBufferPointer { mine in
            post(.allgatherBytes, address: UnsafeMutableRawPointer(mutating: mine.baseAddress), count: mine.count, root: 0)
            world.barrier(rank: rank)
            checkAgreement(countsMustMatch: false)
            let records = (0..<size).map { q -> [UInt8] in
                if q == rank { return bytes }
                guard let source = world.addresses[q]?.assumingMemoryBound(to: UInt8.self) else { return [] }
                return Array(UnsafeBufferPointer(start: source, count: world.counts[q]))
            }
            world.barrier(rank: rank)
            return records
        }
    }

    public func barrier() {
        world.barrier(rank: rank)
    }

    // MARK: stall detection

    public func arrive(step: Int, warnAfter: Double, stalled: ([Int], Double) -> Void) {
        guard size > 1 else { return }
        if rank == 0 {
            world.awaitArrivals(step: step, warnAfter: warnAfter, stalled: stalled)
        } else {
            world.announce(rank: rank, step: step)
        }
    }

    // MARK: ending

    public func finalize() {}

    public func abort(message: String, code: Int32) -> Never {
        // One rank at a time: exit must not run on two threads at once.
        pthread_mutex_lock(abortMutex)
        fflush(stdout)
        fputs("\(size > 1 ? "rank \(rank): " : "")error: \(message)\n", stderr)
        fflush(stderr)
        exit(code)
    }

    // MARK: helpers

    private func post<T>(_ operation: CollectiveOperation, _ buffer: UnsafeMutableBufferPointer<T>, root: Int) {
        post(operation, address: buffer.baseAddress.map(UnsafeMutableRawPointer.init), count: buffer.count, root: root)
    }

    private func post(_ operation: CollectiveOperation, address: UnsafeMutableRawPointer?, count: Int, root: Int) {
        world.operations[rank] = operation
        world.counts[rank] = count
        world.roots[rank] = root
        world.addresses[rank] = address
    }

    /// After the first barrier of a collective: every rank posted the same operation, root and
    /// (unless told otherwise) count, or the process ends naming the first rank that differs.
    private func checkAgreement(countsMustMatch: Bool = true) {
        let op = world.operations[rank], count = world.counts[rank], root = world.roots[rank]
        for q in 0..<size where q != rank {
            if world.operations[q] != op {
                abort(message: "collective mismatch: rank \(rank) called \(op.name) while rank \(q) called "
                      + "\(world.operations[q].name)", code: 1)
            }
            if world.roots[q] != root {
                abort(message: "collective mismatch: \(op.name) with root \(root) on rank \(rank) but root "
                      + "\(world.roots[q]) on rank \(q)", code: 1)
            }
            if countsMustMatch && world.counts[q] != count {
                abort(message: "collective mismatch: \(op.name) of \(count) elements on rank \(rank) but "
                      + "\(world.counts[q]) on rank \(q)", code: 1)
            }
        }
    }

    private func checkRoot(_ root: Int, _ operation: CollectiveOperation) {
        if !(0..<size).contains(root) {
            abort(message: "\(operation.name): root \(root) is not a rank of 0..<\(size)", code: 1)
        }
    }
}
