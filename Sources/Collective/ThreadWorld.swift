// ThreadWorld: a world of P ranks that are threads of one process, over shared memory, for
// testing multi-rank logic (sharding, exchange strategies, stall checks) without mpirun.
//
// A collective is a rendezvous: every rank posts its operation, count and buffer address in its
// slot of the world, then all meet at a barrier (pthread mutex + condition variable + generation
// counter). Sums split the buffer into P chunks: rank r adds chunk r of every rank's buffer in rank
// order 0, 1, ..., P-1 (so the result is deterministic and the same bits on every rank) into chunk r
// of its own buffer; after a second barrier every rank copies the other ranks' final chunks; a third
// barrier keeps every buffer alive and untouched until all copies are done. Float/Double/Int64 sums,
// maxima, reduceSum and Float broadcasts allocate nothing per call; the byte collectives return
// new arrays. Shared state is touched only under the world's mutex or between two barriers (whose
// mutex orders the memory).
//
// Every rank must call the same collectives in the same order with the same counts: a mismatch
// (another operation, another count, another root) ends the process with a message naming both
// ranks, as an MPI job would end. startAllreduceSum completes eagerly (it runs the blocking sum and
// returns a completed PendingReduction): correct because every rank starts its reductions in the
// same order, but it overlaps nothing. arrive(step:) is a real stall check: rank 0 waits on a
// condition until every rank has announced the step, calling `stalled` every `warnAfter` seconds.
//
// ThreadWorld.run ends a rank's thread by parking it (never by cancelling it): when a rank throws,
// or returns while others wait for it in a collective, the ranks that are or later get stuck in a
// collective park forever, run() returns once every rank has finished or parked, and rethrows the
// first error (by rank). Parked threads stay until the process exits. Leaves out sub-communicators
// and real overlap of non-blocking sums.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Core

/// Why ThreadWorld.run failed other than by a rank's own error.
public enum ThreadWorldError: Error, CustomStringConvertible {
    /// A rank waited in a collective (or stall check) that some other rank, already returned, never entered.
    case unmatchedCollective(rank: Int, finished: [Int])

    public var description: String {
        switch self {
        case let .unmatchedCollective(rank, finished):
            return "rank \(rank) waits in a collective that rank(s) \(finished.map(String.init).joined(separator: ", ")) "
                + "returned without entering"
        }
    }
}

/// The shared memory of a world of `size` thread ranks: the barrier, the posted slots and the
/// stall-check announcements. Make one per job and hand `communicator(rank: r)` to the thread of
/// rank r (one communicator per rank, used by that thread only).
public final class ThreadWorld: @unchecked Sendable {
    public let size: Int

    // Under `mutex`.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let barrierCond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let arrivalCond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var waiting = 0
    private var generation = 0
    private var finished: [Bool]
    private var finishedCount = 0
    private var firstFailure: Error?
    private var settled = 0
    /// Step announced by each rank (stall check), Int.min before any.
    let announced: UnsafeMutablePointer<Int>

    // Written by each rank in its own slot before a barrier, read by all after it.
    let operations: UnsafeMutablePointer<CollectiveOperation>
    let counts: UnsafeMutablePointer<Int>
    let roots: UnsafeMutablePointer<Int>
    let addresses: UnsafeMutablePointer<UnsafeMutableRawPointer?>

    public init(size: Int) {
        precondition(size >= 1, "ThreadWorld needs at least one rank, not \(size)")
        self.size = size
        finished = [Bool](repeating: false, count: size)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(barrierCond, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if canImport(Glibc)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(arrivalCond, &attributes)
        pthread_condattr_destroy(&attributes)
        announced = .allocate(capacity: size)
        announced.initialize(repeating: Int.min, count: size)
        operations = .allocate(capacity: size)
        operations.initialize(repeating: .none, count: size)
        counts = .allocate(capacity: size)
        counts.initialize(repeating: 0, count: size)
        roots = .allocate(capacity: size)
        roots.initialize(repeating: 0, count: size)
        addresses = .allocate(capacity: size)
        addresses.initialize(repeating: nil, count: size)
    }

    deinit {
        pthread_cond_destroy(arrivalCond)
        pthread_cond_destroy(barrierCond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        barrierCond.deallocate()
        arrivalCond.deallocate()
        announced.deallocate()
        operations.deallocate()
        counts.deallocate()
        roots.deallocate()
        addresses.deallocate()
    }

    /// Rank `rank`'s communicator; call once per rank and use it from that rank's thread only.
    public func communicator(rank: Int) -> ThreadCommunicator {
        precondition((0..<size).contains(rank), "rank \(rank) is not a rank of 0..<\(size)")
        return ThreadCommunicator(world: self, rank: rank)
    }

    /// Runs `body(comm)` on `size` threads, one per rank, and returns each rank's result (index =
    /// rank). When a rank throws, rethrows the first error by rank once every rank has returned or
    /// parked (see the file header).
    public static func run<T>(size: Int, _ body: @escaping (Communicator) throws -> T) throws -> [T] {
        let world = ThreadWorld(size: size)
        let results = ResultSlots<T>(size)
        for r in 0..<size {
            let comm = world.communicator(rank: r)
            startDetachedThread {
                do {
                    let value = try body(comm)
                    results.set(r, value)
                    world.rankReturned(r, failure: nil)
                } catch {
                    world.rankReturned(r, failure: error)
                }
            }
        }
        try world.waitUntilSettled()
        return results.values()
    }

    // MARK: barrier and failure

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Returns once all `size` ranks have called it (the caller is `rank`).
    func barrier(rank: Int) {
        lock()
        if firstFailure != nil { park() }
        let mine = generation
        waiting += 1
        if waiting == size {
            waiting = 0
            generation &+= 1
            pthread_cond_broadcast(barrierCond)
        } else {
            while generation == mine {
                if firstFailure != nil { park() }
                if let gone = unmatched() {
                    fail(ThreadWorldError.unmatchedCollective(rank: rank, finished: gone))
                    park()
                }
                pthread_cond_wait(barrierCond, mutex)
            }
        }
        unlock()
    }

    /// The ranks that returned, when they leave every waiting rank waiting forever; under the mutex.
    private func unmatched() -> [Int]? {
        guard finishedCount > 0, waiting + finishedCount == size else { return nil }
        return finished.indices.filter { finished[$0] }
    }

    /// Records the first failure and wakes every waiting rank; under the mutex.
    private func fail(_ error: Error) {
        if firstFailure == nil { firstFailure = error }
        pthread_cond_broadcast(barrierCond)
        pthread_cond_broadcast(arrivalCond)
    }

    /// Ends the calling rank's part for good (the world has failed): counts it as settled and
    /// waits forever, the mutex released. Under the mutex.
    private func park() -> Never {
        settled += 1
        pthread_cond_broadcast(barrierCond)
        while true { pthread_cond_wait(barrierCond, mutex) }
    }

    private func rankReturned(_ rank: Int, failure: Error?) {
        lock()
        finished[rank] = true
        finishedCount += 1
        settled += 1
        if let failure { fail(failure) }
        pthread_cond_broadcast(barrierCond)
        pthread_cond_broadcast(arrivalCond)
        unlock()
    }

    private func waitUntilSettled() throws {
        lock()
        while settled < size { pthread_cond_wait(barrierCond, mutex) }
        let failure = firstFailure
        unlock()
        if let failure { throw failure }
    }

    // MARK: stall check

    func announce(rank: Int, step: Int) {
        lock()
        announced[rank] = step
        pthread_cond_signal(arrivalCond)
        unlock()
    }

    /// Rank 0's side of the stall check: waits until every rank announced `step`.
    func awaitArrivals(step: Int, warnAfter: Double, stalled: ([Int], Double) -> Void) {
        let start = monotonicSeconds()
        var nextWarning = warnAfter
        let timed = warnAfter > 0 && warnAfter.isFinite
        lock()
        while true {
            var late = false
            for q in 1..<size where announced[q] < step { late = true; break }
            if !late { break }
            if firstFailure != nil { park() }
            if finishedCount > 0, case let gone = (1..<size).filter({ finished[$0] && announced[$0] < step }),
               !gone.isEmpty {
                fail(ThreadWorldError.unmatchedCollective(rank: 0, finished: gone))
                park()
            }
            if timed {
                var deadline = timespec(seconds: start + nextWarning)
                pthread_cond_timedwait(arrivalCond, mutex, &deadline)
                let waited = monotonicSeconds() - start
                if waited >= nextWarning {
                    let missing = (1..<size).filter { announced[$0] < step }
                    nextWarning += warnAfter
                    if !missing.isEmpty {
                        unlock()
                        stalled(missing, waited)
                        lock()
                    }
                }
            } else {
                pthread_cond_wait(arrivalCond, mutex)
            }
        }
        unlock()
    }
}

/// What a rank posted for the current collective, to check that every rank called the same one.
enum CollectiveOperation: Equatable {
    case none, sumFloat, sumDouble, sumInt64, sumHalf(HalfFormat), maxDouble, reduceFloat, reduceHalf(HalfFormat), broadcastFloat, broadcastBytes, allgatherBytes

    var name: String {
        switch self {
        case .none: return "nothing"
        case .sumFloat: return "allreduceSum(Float)"
        case .sumDouble: return "allreduceSum(Double)"
        case .sumInt64: return "allreduceSum(Int64)"
        case .sumHalf(let f): return "allreduceSum(UInt16, \(f.rawValue))"
        case .maxDouble: return "allreduceMax(Double)"
        case .reduceFloat: return "reduceSum(Float)"
        case .reduceHalf(let f): return "reduceSum(UInt16, \(f.rawValue))"
        case .broadcastFloat: return "broadcast(Float)"
        case .broadcastBytes: return "broadcast(bytes:)"
        case .allgatherBytes: return "allgather(bytes:)"
        }
    }
}


// MARK: threads and clocks

/// Each rank's result, set by its thread before it counts as settled (the world's mutex orders it).
private final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init(_ size: Int) {
        slots = [T?](repeating: nil, count: size)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func set(_ rank: Int, _ value: T) {
        pthread_mutex_lock(mutex)
        slots[rank] = value
        pthread_mutex_unlock(mutex)
    }

    /// Every rank's value; only after every rank returned without error.
    func values() -> [T] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return slots.map { $0! }
    }
}

private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Starts `body` on a new detached thread (8 MiB stack).
private func startDetachedThread(_ body: @escaping () -> Void) {
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    pthread_attr_setstacksize(&attributes, 8 << 20)
    #if canImport(Glibc)
    var thread = pthread_t()
    #else
    var thread: pthread_t?
    #endif
    let status = pthread_create(&thread, &attributes, { raw in
        #if canImport(Glibc)
        let box = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
        #else
        let box = Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue()
        #endif
        box.run()
        return nil
    }, context)
    precondition(status == 0, "pthread_create failed: \(String(cString: strerror(status)))")
}

/// Serialises abort messages of ranks failing at once.
let abortMutex: UnsafeMutablePointer<pthread_mutex_t> = {
    let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    pthread_mutex_init(m, nil)
    return m
}()

private extension timespec {
    /// A CLOCK_MONOTONIC time point `seconds` after the clock's zero.
    init(seconds: Double) {
        let whole = seconds.rounded(.down)
        self.init(tv_sec: Int(whole), tv_nsec: Int((seconds - whole) * 1e9))
    }
}
