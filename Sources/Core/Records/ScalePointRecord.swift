// One line of a launch/scale sweep's points.jsonl: the (mode, strategy, np) the script ran (and, for
// `launch/scale --link`, mode "link", the emulated link's rate and the ranks per namespace), and
// either `"status": "ok"` with the run's bench JSON (TrainBenchRecord) under "bench", or the
// failure under "error". launch/scale writes these lines with echo; Training's ScalingSweep reads
// them through this type (and tests write them with it).

import Foundation

public struct ScalePointRecord: Codable, Equatable, Sendable {
    public var mode: String?                  // "strong" or "weak"
    public var strategy: String?              // train.allreduce
    public var np: Int
    public var batchPerRank: Int
    public var oversubscribed: Bool           // more ranks than cores; false when missing
    public var status: String?                // "ok" or "failed"
    public var error: String?
    public var bench: TrainBenchRecord?
    public var link: String?                  // "1gbit", "none" (unshaped veth); nil: not on an emulated link
    public var ranksPerHost: Int?             // ranks in each namespace of an emulated link
    public var compress: String?              // train.compress of the run (nil: fp32, or not recorded)

    public init(mode: String, strategy: String, np: Int, batchPerRank: Int, oversubscribed: Bool,
                status: String, error: String? = nil, bench: TrainBenchRecord? = nil) {
        self.mode = mode; self.strategy = strategy; self.np = np; self.batchPerRank = batchPerRank
        self.oversubscribed = oversubscribed; self.status = status; self.error = error; self.bench = bench
    }

    /// nil when the run worked ("status": "ok"), else its error ("failed" without one).
    public var failure: String? { status == "ok" ? nil : (error ?? "failed") }

    public static let shape = "a launch/scale point: {\"mode\", \"strategy\", \"np\", \"batch_per_rank\", \"status\", \"bench\" or \"error\"}"

    /// One line of points.jsonl; `origin` is "path:line".
    public static func decode(_ line: String, origin: String) throws -> ScalePointRecord {
        try decodeRecord(ScalePointRecord.self, from: Data(line.utf8), origin: origin, shape: shape)
    }

    /// One line of JSON, as launch/scale writes it.
    public func jsonText() -> String { (try? recordJSONText(self)) ?? "{}" }

    private enum CodingKeys: String, CodingKey {
        case mode, strategy, np, batchPerRank = "batch_per_rank", oversubscribed, status, error, bench
        case link, ranksPerHost = "ranks_per_host", compress
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mode = try c.decodeIfPresent(String.self, forKey: .mode)
        strategy = try c.decodeIfPresent(String.self, forKey: .strategy)
        np = try c.decode(Int.self, forKey: .np)
        batchPerRank = try c.decode(Int.self, forKey: .batchPerRank)
        oversubscribed = try c.decodeIfPresent(Bool.self, forKey: .oversubscribed) ?? false
        status = try c.decodeIfPresent(String.self, forKey: .status)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        bench = try c.decodeIfPresent(TrainBenchRecord.self, forKey: .bench)
        link = try c.decodeIfPresent(String.self, forKey: .link)
        ranksPerHost = try c.decodeIfPresent(Int.self, forKey: .ranksPerHost)
        compress = try c.decodeIfPresent(String.self, forKey: .compress)
    }
}
