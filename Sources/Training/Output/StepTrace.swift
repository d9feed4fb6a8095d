// `dtrain train --trace FILE`: a Chrome trace-event JSON (chrome://tracing, Perfetto) of the
// first `steps` training steps, one track per rank: data, forward, backward, wait, allreduce,
// optimizer. Events go into a preallocated buffer (nothing allocated per step); at the end rank 0
// gathers every rank's events and writes the file. Times are microseconds from a barrier that all
// ranks leave together (one host: one clock; across hosts, offsets are as good as that barrier).

import Core
import Foundation
import Collective

final class StepTrace {
    enum Phase: Int, CaseIterable { case data, forward, backward, wait, allreduce, optimizer
        var name: String { ["data", "forward", "backward", "wait", "allreduce", "optimizer"][rawValue] }
    }
    let path: String
    let steps: Int
    private var origin = 0.0
    private let events: UnsafeMutablePointer<(phase: Int32, step: Int32, start: Double, end: Double)>
    private let capacity: Int
    private(set) var count = 0

    init(path: String, steps: Int) {
        self.path = path
        self.steps = steps
        capacity = steps * Phase.allCases.count
        events = .allocate(capacity: max(capacity, 1))
    }

    deinit { events.deallocate() }

    func start(comm: Communicator) {
        comm.barrier()
        origin = monotonicSeconds()
    }

    @inline(__always)
    func record(_ phase: Phase, step: Int, _ start: Double, _ end: Double) {
        guard count < capacity else { return }
        events[count] = (Int32(phase.rawValue), Int32(step), start - origin, end - origin)
        count += 1
    }

    var full: Bool { count >= capacity }

    /// Gathers every rank's events; rank 0 writes the trace file atomically.
    func write(comm: Communicator) throws {
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
