// collectiveSelfCheck: every collective against closed-form results of rank-dependent inputs —
// sums (odd and > 1M elements), max, broadcasts from the first and last rank, variable-length bytes
// and records, non-blocking sums, 16-bit (fp16, bf16) sums. Values are small multiples of 1/8, so
// float sums are exact in any order; the 16-bit sums also check values that need rounding: at 2
// ranks the one rounded fp32 sum, at any size the same bits on every rank. On MPI it runs again with tiny chunks to exercise the Int32-count chunking paths.

import Core

/// Runs on every rank (collectively); returns this rank's failures, empty when all is well.
public func collectiveSelfCheck(_ comm: Communicator) -> [String] {
    let check = SelfCheck(comm)
    check.runAll(label: "", large: 1_048_577)
    if let mpi = comm as? MPICommunicator {
        let saved = mpi.maxCountPerCall
        mpi.maxCountPerCall = 1000
        check.runAll(label: " [chunks of 1000]", large: 20_011)
        mpi.maxCountPerCall = saved
    }
    comm.barrier()
    return check.failures
}

private final class SelfCheck {
    let comm: Communicator
    let P: Int, r: Int
    var failures: [String] = []
    var label = ""

    init(_ comm: Communicator) {
        self.comm = comm
        P = comm.size
        r = comm.rank
    }

    func expect(_ ok: Bool, _ what: @autoclosure () -> String) {
        if !ok { failures.append("rank \(r): \(what())\(label)") }
    }

    /// Expects `got` to equal `want(i)` everywhere; reports the first mismatch.
    func expectElements<T: Equatable>(_ name: String, _ got: UnsafeMutableBufferPointer<T>, _ want: (Int) -> T) {
        if let i = got.indices.first(where: { got[$0] != want($0) }) {
            failures.append("rank \(r): \(name) n=\(got.count): element \(i) is \(got[i]), expected \(want(i))\(label)")
        }
    }

    /// Every check once; `large` is the long buffer's element count.
    func runAll(label: String, large: Int) {
        self.label = label
        topology()
        for n in [0, 7, large] { floatSum(n) }
        for n in [1, 1001] { doubleSum(n) }
        int64Sum(1001)
        doubleMax(1001)
        for root in (P > 1 ? [0, P - 1] : [0]) {  // the same order on every rank
            for n in [1001, large] { broadcastFloat(n, root: root) }
            for n in [0, 1, 13, 65_537] { broadcastBytes(n, root: root) }
        }
        allgatherBytes(scale: 3)
        allgatherBytes(scale: 1001)
        nonBlocking([7, 1001, 0, large / 4])
        for format in HalfFormat.allCases { for n in [0, 7, large] { halfSums(n, format) } }
        helpers()
        comm.barrier()
    }

    func topology() {
        expect(P >= 1 && (0..<P).contains(r), "rank \(r) outside 0..<\(P)")
        expect(comm.allreduceSum(1) == P, "allreduceSum(1) is not the world size \(P)")
        let ranks = comm.allgather(bytes: [UInt8(truncatingIfNeeded: r)])
        expect(ranks == (0..<P).map { [UInt8(truncatingIfNeeded: $0)] }, "allgather of ranks gave \(ranks)")
    }

    func floatSum(_ n: Int) {
        withBuffer(n, { i in Float(i % 7) + 0.5 * Float(r) }) { buffer in
            comm.allreduceSum(buffer)
            expectElements("allreduceSum(Float)", buffer) { i in Float(P * (i % 7)) + 0.25 * Float(P * (P - 1)) }
        }
    }

    func doubleSum(_ n: Int) {
        withBuffer(n, { i in Double(i) + 0.25 * Double(r) }) { buffer in
            comm.allreduceSum(buffer)
            expectElements("allreduceSum(Double)", buffer) { i in Double(P * i) + 0.125 * Double(P * (P - 1)) }
        }
    }

    func int64Sum(_ n: Int) {
        // (r + 1) * 2^33 + i: beyond Int32, so a 32-bit reduction would show.
        withBuffer(n, { i in Int64(r + 1) << 33 + Int64(i) }) { buffer in
            comm.allreduceSum(buffer)
            expectElements("allreduceSum(Int64)", buffer) { i in Int64(P * (P + 1) / 2) << 33 + Int64(P * i) }
        }
    }

    func doubleMax(_ n: Int) {
        func value(_ i: Int, _ q: Int) -> Double { Double((i * 31 + q * 17) % 101) - 50 }
        withBuffer(n, { i in value(i, r) }) { buffer in
            comm.allreduceMax(buffer)
            expectElements("allreduceMax(Double)", buffer) { i in (1..<P).reduce(value(i, 0)) { max($0, value(i, $1)) } }
        }
    }

    func broadcastFloat(_ n: Int, root: Int) {
        withBuffer(n, { i in Float(i % 1000) + 1000 * Float(r) }) { buffer in
            comm.broadcast(buffer, root: root)
            expectElements("broadcast(Float, root \(root))", buffer) { i in Float(i % 1000) + 1000 * Float(root) }
        }
    }

    func broadcastBytes(_ n: Int, root: Int) {
        func pattern(_ q: Int, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 + 7 * q + n) } }
        let mine = r == root ? pattern(root, n) : [UInt8](repeating: 0xEE, count: r + 3)
        let got = comm.broadcast(bytes: mine, root: root)
        expect(got == pattern(root, n), "broadcast(bytes: \(n), root \(root)) gave \(got.count) bytes, wrong content")
    }

    func allgatherBytes(scale: Int) {
        // Rank q sends q * scale bytes: rank 0's record is empty.
        func record(_ q: Int) -> [UInt8] { (0..<(q * scale)).map { UInt8(truncatingIfNeeded: 5 * q + $0) } }
        let got = comm.allgather(bytes: record(r))
        expect(got == (0..<P).map(record), "allgather(bytes) of rank * \(scale) bytes gave lengths \(got.map(\.count))")
    }

    func nonBlocking(_ counts: [Int]) {
        func value(_ i: Int, _ q: Int) -> Float { Float((i * 13 + q * 7) % 64) * 0.125 }
        let started = counts.map { n -> (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) in
            let a = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
            for i in 0..<n { a[i] = value(i, r) }
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
            _ = b.initialize(from: a)
            return (a, b)
        }
        let pending = started.map { comm.startAllreduceSum($0.0) }
        for p in pending.reversed() { comm.wait(p) }
        expect(pending.allSatisfy(\.isComplete), "a reduction is not complete after wait")
        comm.wait(pending[0])  // waiting twice is a no-op
        for (a, b) in started {
            comm.allreduceSum(b)
            expectElements("startAllreduceSum vs closed form", a) { i in (0..<P).reduce(0) { $0 + value(i, $1) } }
            expectElements("startAllreduceSum vs allreduceSum", a) { b[$0] }
            a.deallocate()
            b.deallocate()
        }
    }

    /// allreduceSum, reduceSum (onto the last rank) and startAllreduceSum of 16-bit floats.
    func halfSums(_ n: Int, _ format: HalfFormat) {
        let name = "16-bit \(format.rawValue) sum"
        // exact in any order: multiples of 1/8 below 64 x P (11 significant bits at most for fp16's
        // 11-bit significand, 8 for bf16's: i % 7 keeps them small)
        func exact(_ i: Int, _ q: Int) -> Float { Float(i % 7) + 0.5 * Float(q) }
        withBuffer(n, { i in format.encode(exact(i, r)) }) { buffer in
            comm.allreduceSum(buffer, format: format)
            expectElements("allreduceSum(\(name))", buffer) { i in format.encode(Float(P * (i % 7)) + 0.25 * Float(P * (P - 1))) }
        }
        withBuffer(n, { i in format.encode(exact(i, r)) }) { buffer in
            comm.reduceSum(buffer, format: format, root: P - 1)
            expectElements("reduceSum(\(name), root \(P - 1))", buffer) { i in
                format.encode(r == P - 1 ? Float(P * (i % 7)) + 0.25 * Float(P * (P - 1)) : exact(i, r))
            }
        }
        withBuffer(n, { i in format.encode(exact(i, r)) }) { buffer in
            let pending = comm.startAllreduceSum(buffer, format: format)
            comm.wait(pending)
            expectElements("startAllreduceSum(\(name))", buffer) { i in format.encode(Float(P * (i % 7)) + 0.25 * Float(P * (P - 1))) }
        }
        // values that need rounding (and, for fp16, a sum past 65504 every 101st element, clamped)
        func rounded(_ i: Int, _ q: Int) -> UInt16 {
            format.encode(i % 101 == 0 ? 40_000 : Float(i % 97) * 1.0013 + Float(q) * 0.3071)
        }
        withBuffer(n, { i in rounded(i, r) }) { buffer in
            comm.allreduceSum(buffer, format: format)
            if P == 2 { expectElements("allreduceSum(\(name)) at 2 ranks", buffer) { i in format.add(rounded(i, 0), rounded(i, 1)) } }
            let bits = UnsafeMutableRawBufferPointer(buffer)
            let root = comm.broadcast(bytes: Array(bits), root: 0)
            expect(root.elementsEqual(bits), "allreduceSum(\(name)) gave rank \(r) other bits than rank 0")
            if format == .fp16, P > 1, n > 0 {
                expect(buffer[0] == 0x7BFF, "allreduceSum(\(name)) of 40000 on \(P) ranks gave bits \(buffer[0]), not 65504 (clamped)")
            }
        }
    }

    func helpers() {
        let half = Double(P * (P - 1)) / 2
        expect(comm.allreduceSum(Double(r) + 0.5) == half + 0.5 * Double(P), "allreduceSum(Double value)")
        expect(comm.allreduceMax(Double(r)) == Double(P - 1), "allreduceMax(Double value)")
        expect(comm.allreduceMin(Double(r) + 1) == 1, "allreduceMin(Double value)")
        expect(comm.allreduceSum([1.5, Double(r)]) == [1.5 * Double(P), half], "allreduceSum([Double])")
        let records = comm.allgather((0...r).map { Double($0) * 1.25 })
        expect(records == (0..<P).map { q in (0...q).map { Double($0) * 1.25 } }, "allgather([Double]) gave \(records)")
        expect(comm.allgather(Double(r) / 3) == (0..<P).map { Double($0) / 3 }, "allgather(Double)")
        let text = comm.broadcast("héllo from rank \(r) ✓", root: P - 1)
        expect(text == "héllo from rank \(P - 1) ✓", "broadcast(String) gave \"\(text)\"")
        expect(comm.allgather("r\(r)") == (0..<P).map { "r\($0)" }, "allgather(String)")
    }

    /// A buffer of n elements filled with fill(i), alive for the duration of body.
    func withBuffer<T>(_ n: Int, _ fill: (Int) -> T, _ body: (UnsafeMutableBufferPointer<T>) -> Void) {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: n)
        defer { buffer.deallocate() }
        for i in 0..<n { buffer.initializeElement(at: i, to: fill(i)) }
        body(buffer)
    }
}
