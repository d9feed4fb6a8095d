// `dtrain bench train`'s gradient-exchange figures (issue 5: the exchange per step should take at
// most 1.1x a bare MPI_Allreduce of the same buffer), all taken in the benchmark's own process;
// every figure is a median over steps or repeats (mean and p90 beside the exchange's).
//   exchange   per timed step, rank 0's t3..t4: the strategy's reduction (flat: ONE allreduce of the
//              p + 3 floats). Rank 0 passes the stall check (Communicator.arrive) only once every
//              rank has announced it is there, and then (all but bucketed) every rank leaves a
//              barrier together (ExchangeStrategy.enterTogether): rank 0 is never ahead of another
//              rank at t3, so its t3..t4 holds no waiting for a slower rank's backward — that load
//              imbalance lies before t3, in `wait`. Not the slowest rank's t3..t4: for bucketed
//              another rank's t3 comes before rank 0 has seen everyone, and with more ranks than
//              cores a rank that has handed over its data waits for its core while a core-mate
//              computes the next step (np=4 on 2 cores: 0.9 ms for that rank, 0.14 for rank 0, the
//              bare allreduce 0.15). At np=2 on 2 cores rank 0's and the slowest rank's agree.
//   bare       a separate buffer of the same size, back to back after the timed steps, timed as
//              `dtrain bench comm --sizes <bytes>` times it: each repeat after a barrier, the
//              slowest rank's time, `steps` repeats.
//   paired     flat only: 2 x `steps` more steps, alternating (ExchangeRecorder) a bare allreduce in
//              place on the exchange buffer right after backward and barrier, and the step's own
//              exchange; both rank 0's time. Each is then the first collective after a step's
//              compute, which on this 2-core machine costs up to ~2x more than back to back (any
//              memory-bound loop does: after a 10 ms pause a 246 KB a += b takes 58 us, not 24):
//              the pair isolates what the exchange path adds to the bare MPI_Allreduce.
//   wire       the bytes of one rank's gradients and statistics per step: (p + 3) x 4, or with
//              train.compress p x 2 + 12 (the bare allreduce stays the fp32 (p + 3) x 4 buffer).
//   arrival    one host only (CLOCK_MONOTONIC is then shared): the latest t3 minus the latest t2
//              (backward done) — what the stall check and the barrier add when no rank is late.

import Core
import Foundation
import Collective
import NN

public struct ExchangeTiming: Sendable {
    public var strategy: String
    public var bytes: Int                         // (p + 3) x 4
    public var exchange: SampleSummary            // seconds per timed step, rank 0
    public var bare: SampleSummary                // seconds, back to back
    public var arrival: SampleSummary?            // seconds; nil across hosts
    public var paired: (exchange: SampleSummary, bare: SampleSummary)?   // flat only, rank 0
    public var compress = "none"                  // train.compress
    public var wireBytes: Int                     // per rank and step: (p + 3) x 4 (= bytes), or p x 2 + 12 compressed

    public init(strategy: String, bytes: Int, exchange: SampleSummary, bare: SampleSummary, arrival: SampleSummary?,
                paired: (exchange: SampleSummary, bare: SampleSummary)?) {
        self.strategy = strategy; self.bytes = bytes; self.exchange = exchange; self.bare = bare
        self.arrival = arrival; self.paired = paired
        wireBytes = bytes
    }

    public var ratio: Double { exchange.median / bare.median }
    public var pairedRatio: Double? { paired.map { $0.exchange.median / $0.bare.median } }

    public func text() -> String {
        let b = "bare MPI_Allreduce of \(grouped(bytes)) B"
        var out = String(format: "exchange (%@): median %.1f us (mean %.1f, p90 %.1f) vs %@ %.1f us = %.2fx\n",
                         strategy, 1e6 * exchange.median, 1e6 * exchange.mean, 1e6 * exchange.p90, b, 1e6 * bare.median, ratio)
        out += "  gradients as \(compress == "none" ? "fp32" : compress): \(grouped(wireBytes)) B per rank and step on the wire\n"
        if let paired, let pairedRatio {
            out += String(format: "  steps alternating with a %@ after backward: exchange %.1f us vs %.1f us = %.2fx\n",
                          b, 1e6 * paired.exchange.median, 1e6 * paired.bare.median, pairedRatio)
        }
        if let arrival {
            out += String(format: "  stall check and entry barrier before it (last rank's backward done -> last rank past them): median %.1f us\n",
                          1e6 * arrival.median)
        }
        return out
    }

    /// The figures as `dtrain bench train --json` writes them under "exchange", in microseconds.
    public var record: ExchangeBenchRecord {
        var r = ExchangeBenchRecord()
        r.strategy = strategy
        r.steps = exchange.count
        r.medianUs = 1e6 * exchange.median; r.meanUs = 1e6 * exchange.mean; r.p90Us = 1e6 * exchange.p90
        r.bareAllreduceBytes = bytes
        r.bareAllreduceUs = 1e6 * bare.median; r.bareAllreduceRepeats = bare.count
        r.ratio = ratio
        r.pairedExchangeUs = paired.map { 1e6 * $0.exchange.median }
        r.pairedBareAllreduceUs = paired.map { 1e6 * $0.bare.median }
        r.pairedRatio = pairedRatio
        r.arrivalMedianUs = arrival.map { 1e6 * $0.median }
        r.compress = compress
        r.wireBytesPerStep = wireBytes
        return r
    }
}

/// After the timed steps (every rank calls it): turns the timed steps' `clocks` into figures, times
/// the bare allreduce back to back, then (flat) trains 2 x `steps` more steps, alternating.
/// nil at world size 1 (there is nothing to exchange).
func measureExchange(trainer: Trainer, comm: Communicator, clocks: ExchangeRecorder, steps: Int) throws -> ExchangeTiming? {
    guard comm.size > 1 else { return nil }
    let floats = trainer.network.parameterCount + 3
    let oneHost = Set(comm.allgather(ProcessInfo.processInfo.hostName)).count == 1
    let timed = gatherClocks(clocks, comm: comm)
    let message = UnsafeMutableBufferPointer<Float>.allocate(capacity: floats)
    message.initialize(repeating: 0)
    defer { message.deallocate() }
    let bare = timeAllreduce(comm: comm, message, repeats: steps, warmup: 10)
    var paired: (exchange: SampleSummary, bare: SampleSummary)?
    if trainer.config.train.allreduce == .flat {
        let alternate = ExchangeRecorder(steps: 2 * steps, paired: true, comm: comm)
        trainer.addObserver(alternate)
        defer { trainer.removeObserver(alternate) }
        _ = try trainer.runSteps(2 * steps)
        paired = (SampleSummary(gatherClocks(alternate, comm: comm).exchange),
                  SampleSummary(comm.allgather(alternate.bareSeconds)[0]))
    }
    var timing = ExchangeTiming(strategy: trainer.config.train.allreduce.rawValue, bytes: floats * 4,
                                exchange: SampleSummary(timed.exchange), bare: SampleSummary(bare),
                                arrival: oneHost ? SampleSummary(timed.arrival) : nil, paired: paired)
    let compress = trainer.config.train.compress
    timing.compress = compress?.rawValue ?? "none"
    timing.wireBytes = compress == nil ? floats * 4 : trainer.network.parameterCount * 2 + ExchangeBuffer.statisticsCount * 4
    return timing
}

/// Every rank's clock readings gathered into per-step figures (every rank gets them): rank 0's
/// t3..t4, and the stall check's seconds.
private func gatherClocks(_ r: ExchangeRecorder, comm: Communicator) -> (exchange: [Double], arrival: [Double]) {
    let t2 = comm.allgather(r.backwardDoneTimes), t3 = comm.allgather(r.arrivedTimes)
    let t4 = comm.allgather(r.exchangedTimes)
    return (zip(t3[0], t4[0]).map { $1 - $0 }, arrivalSeconds(backwardDone: t2, arrived: t3))
}

/// Per step, the latest t3 minus the latest t2 of any rank: from the last rank finishing backward
/// to the last rank leaving the stall check (clocks of one host).
public func arrivalSeconds(backwardDone t2: [[Double]], arrived t3: [[Double]]) -> [Double] {
    zip(slowestRank(t2), slowestRank(t3)).map { $1 - $0 }
}

/// Per step, the largest of the ranks' values (`perRank[r][step]`; steps past the shortest rank's
/// record are dropped).
public func slowestRank(_ perRank: [[Double]]) -> [Double] {
    let steps = perRank.map(\.count).min() ?? 0
    return (0..<steps).map { k in perRank.map { $0[k] }.max()! }
}
