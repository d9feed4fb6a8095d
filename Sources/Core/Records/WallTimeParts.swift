// Rank 0's wall time of one or more epochs (metrics.jsonl rows) split into named parts: compute
// (forward, backward and the optimiser's update), exchange (the transfer), waiting (for the slowest
// rank to reach the exchange), data, evaluation, checkpoints and diagnostics. `seconds` follows
// `names`; a part a row lacks (older files) or holds as null counts 0. The parts never overlap, so
// their sum is at most the wall time; `unaccounted` is the rest: the bookkeeping between the timed
// phases (the step observers: progress bar, steps.csv; the gather of every rank's own-shard
// accuracy; the epoch's log line and metrics row) and, for a resumed epoch, the earlier process's
// training. Only rank 0's clock: what the other ranks wait for rank 0 does not show here.

public struct WallTimeParts: Equatable {
    public static let names = ["compute", "exchange", "waiting", "data", "evaluation", "checkpoints", "diagnostics"]

    /// Seconds per part, in the order of `names`.
    public var seconds: [Double]
    /// The epochs' wall time: wall_seconds, or for rows without it (older files) training +
    /// evaluation + checkpoints, which is what those files timed.
    public var wall: Double

    public init(_ m: EpochMetrics) {
        func known(_ v: Double?) -> Double { v.map { $0.isFinite ? $0 : 0 } ?? 0 }
        seconds = [known(m.computeSeconds), known(m.commSeconds), known(m.waitSeconds), known(m.dataSeconds),
                   known(m.evalSeconds), known(m.checkpointSeconds), known(m.diagnosticsSeconds)]
        wall = m.wallSeconds.map(known) ?? known(m.epochSeconds) + known(m.evalSeconds) + known(m.checkpointSeconds)
    }

    /// The parts of several epochs added up (a run's whole training).
    public init(summing rows: [EpochMetrics]) {
        seconds = Array(repeating: 0, count: Self.names.count)
        wall = 0
        for row in rows {
            let p = WallTimeParts(row)
            for i in seconds.indices { seconds[i] += p.seconds[i] }
            wall += p.wall
        }
    }

    public var accounted: Double { seconds.reduce(0, +) }
    /// Wall time in no named part (never below 0).
    public var unaccounted: Double { max(0, wall - accounted) }
}
