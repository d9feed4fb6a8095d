// Per-step records of the gradient exchange for `dtrain bench train`: a step observer (two hooks). Every buffer is allocated up front (the step allocates nothing);
// steps past the capacity are not recorded. Two modes:
//   plain    every step: this rank's clock readings t2 (backward done), t3 (past the stall check
//            and ExchangeStrategy.enterTogether), t4 (exchange done)
//   paired   steps alternate. Even steps: after backward, a barrier, then ONE bare allreduce IN
//            PLACE on the exchange buffer, timed on this rank — the bare MPI_Allreduce of the same
//            buffer, issued where the exchange is; the buffer is then scaled by 1/world size so
//            that the step's own exchange (untimed) sums it back to the same gradient sum. Odd
//            steps: the clock readings, as plain. Both kinds of step see the same conditions.

import Core
import Collective
import NN

public final class ExchangeRecorder: StepObserver {
    public let capacity: Int                    // steps
    public let paired: Bool
    private let comm: Communicator
    private var step = 0                        // steps seen

    let backwardDone: UnsafeMutableBufferPointer<Double>    // (capacity) t2, seconds
    let arrived: UnsafeMutableBufferPointer<Double>         // (capacity) t3
    let exchanged: UnsafeMutableBufferPointer<Double>       // (capacity) t4
    public private(set) var exchanges = 0
    let bare: UnsafeMutableBufferPointer<Double>            // (capacity) seconds on this rank
    public private(set) var bareCount = 0

    public init(steps: Int, paired: Bool, comm: Communicator) {
        capacity = steps
        self.paired = paired
        self.comm = comm
        backwardDone = .allocate(capacity: max(steps, 1)); backwardDone.initialize(repeating: 0)
        arrived = .allocate(capacity: max(steps, 1)); arrived.initialize(repeating: 0)
        exchanged = .allocate(capacity: max(steps, 1)); exchanged.initialize(repeating: 0)
        bare = .allocate(capacity: max(steps, 1)); bare.initialize(repeating: 0)
    }

    deinit { for b in [backwardDone, arrived, exchanged, bare] { b.deallocate() } }

    private var isBareStep: Bool { paired && step % 2 == 0 }

    /// At t2 (backward done, before the stall check); `buffer` is the exchange buffer, summed in
    /// place here on bare steps: not for bucketed, whose reductions of it are in flight.
    public func beforeExchange(step globalStep: Int, buffer exchange: ExchangeBuffer) {
        let buffer = exchange.whole
        guard isBareStep, self.step < capacity else { return }      // steps this recorder has seen, not the global step
        comm.barrier()
        let t0 = monotonicSeconds()
        comm.allreduceSum(buffer)
        bare[bareCount] = monotonicSeconds() - t0
        bareCount += 1
        let scale = 1 / Float(comm.size)          // exact for power-of-two world sizes
        let b = buffer.baseAddress!
        for i in 0..<buffer.count { b[i] *= scale }
    }

    /// After the step: its t2, t3 and t4.
    public func stepFinished(_ r: StepRecord) {
        defer { step += 1 }
        guard !isBareStep, step < capacity else { return }
        backwardDone[exchanges] = r.clock.backwardDone; arrived[exchanges] = r.clock.exchangeEntered
        exchanged[exchanges] = r.clock.exchanged
        exchanges += 1
    }

    /// This rank's recorded clock readings, and bare-allreduce seconds, in step order.
    public var backwardDoneTimes: [Double] { Array(backwardDone.prefix(exchanges)) }
    public var arrivedTimes: [Double] { Array(arrived.prefix(exchanges)) }
    public var exchangedTimes: [Double] { Array(exchanged.prefix(exchanges)) }
    public var bareSeconds: [Double] { Array(bare.prefix(bareCount)) }
}
