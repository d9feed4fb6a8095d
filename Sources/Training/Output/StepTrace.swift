// `dtrain train --trace FILE`: a Chrome trace-event JSON (chrome://tracing, Perfetto) of the
// first `steps` training steps, one track per rank: data, forward, backward, wait, allreduce,
// optimizer. Events go into a preallocated buffer (nothing allocated per step); at the end rank 0
// gathers every rank's events and writes the file. Times are microseconds from a barrier that all
// ranks leave together (one host: one clock; across hosts, offsets are as good as that barrier).
// A step observer on every rank (its start and end are collectives).

import Core
import Foundation
import Collective
import NN

final class StepTrace: StepObserver {
    enum Phase: Int, CaseIterable { case data, forward, backward, wait, allreduce, optimizer
        var name: String { ["data", "forward", "backward", "wait", "allreduce", "optimizer"][rawValue] }
    }
    let path: String
    let steps: Int
    private var origin = 0.0
    private let events: UnsafeMutablePointer<(phase: Int32, step: Int32, start: Double, end: Double)>
    private let capacity: Int
    private(set) var count = 0

    private let comm: Communicator
    private let log: RunLog

    init(path: String, steps: Int, comm: Communicator, log: RunLog) {
        self.comm = comm
        self.log = log
        self.path = path
        self.steps = steps
        capacity = steps * Phase.allCases.count
        events = .allocate(capacity: max(capacity, 1))
    }

    deinit { events.deallocate() }

    func runStarting() throws {
        comm.barrier()
        origin = monotonicSeconds()
    }

    func stepFinished(_ r: StepRecord) {
        let c = r.clock, s = r.step
        record(.data, step: s, c.start, c.dataLoaded)
        if r.singlePass {
            record(.forward, step: s, c.dataLoaded, c.forwardDone); record(.backward, step: s, c.forwardDone, c.backwardDone)
        } else {
            record(.forward, step: s, c.dataLoaded, c.backwardDone)      // several passes: forward and backward together
        }
        record(.wait, step: s, c.backwardDone, c.exchangeEntered); record(.allreduce, step: s, c.exchangeEntered, c.exchanged)
        record(.optimizer, step: s, c.exchanged, c.updated)
    }

    func runFinished(steps: Int) throws {
        try write()
        log.say("trace of \(min(self.steps, steps)) steps: \(path) (open in chrome://tracing or ui.perfetto.dev)")
    }

    @inline(__always)
    func record(_ phase: Phase, step: Int, _ start: Double, _ end: Double) {
        guard count < capacity else { return }
        events[count] = (Int32(phase.rawValue), Int32(step), start - origin, end - origin)
        count += 1
    }

    var full: Bool { count >= capacity }

    /// Gathers every rank's events; rank 0 writes the trace file atomically.
    func write() throws {
        var lines: [String] = []
        for i in 0..<count {
            let e = events[i]
            lines.append(String(format: "%d %d %.3f %.3f", e.phase, e.step, e.start * 1e6, (e.end - e.start) * 1e6))
        }
        let all = comm.allgather(lines.joined(separator: "\n"))
        guard comm.rank == 0 else { return }
        var json: [String] = []
        for (rank, text) in all.enumerated() {
            json.append("{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": \(rank), \"tid\": 0, \"args\": {\"name\": \"rank \(rank)\"}}")
            for line in text.split(separator: "\n") {
                let f = line.split(separator: " ")
                guard f.count == 4, let p = Int(f[0]), let phase = Phase(rawValue: p) else { continue }
                json.append("{\"name\": \"\(phase.name)\", \"cat\": \"step\", \"ph\": \"X\", \"pid\": \(rank), \"tid\": 0, "
                            + "\"ts\": \(f[2]), \"dur\": \(f[3]), \"args\": {\"step\": \(f[1])}}")
            }
        }
        let text = "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n" + json.joined(separator: ",\n") + "\n]}\n"
        try writeAtomically(Array(text.utf8), to: path)
    }
}
