// The points of a `launch/scale` sweep: one JSON line per (mode, strategy, np) in points.jsonl
// (ScalePointRecord: the bench JSON of a run that worked, or its error) with speedup and efficiency derived
// against np=1 of the same mode and strategy, and the CSV written from them.

import Core
import Foundation
import NN

/// One (mode, strategy, world size) of a scaling sweep.
public struct ScalePoint: Sendable {
    public var mode: String                 // "strong" (fixed global batch) or "weak" (fixed per-rank batch)
    public var strategy: String             // train.allreduce
    public var ranks: Int
    public var batchPerRank: Int
    public var oversubscribed: Bool         // more ranks than cores
    public var error: String?               // nil when the run worked
    public var imagesPerSecond = Double.nan
    public var stepMs = Double.nan, computeMs = Double.nan, allreduceMs = Double.nan
    public var dataMs = Double.nan, waitMs = Double.nan, optimizerMs = Double.nan
    public var sgemmGFLOPs = Double.nan     // the bench's in-process yardstick
    public var speedup = Double.nan         // images/s over np=1's, same mode and strategy
    public var efficiency = Double.nan      // speedup / np
    public var versusFlat = Double.nan      // images/s over flat's, same mode and np
    public var model = ""                   // the bench's model name
    public var link: String?                // an emulated link's rate ("1gbit", "none"); nil: one host
    public var ranksPerHost = 0             // on an emulated link: ranks in each namespace
    public var compress = "none"            // train.compress
    public var exchangeMs = Double.nan      // the exchange's median per step in training (rank 0)
    public var bareAllreduceMs = Double.nan // fp32 allreduce of the gradient buffer, back to back
    public var wireBytes = 0                // bytes per rank and step on the wire

    public var ok: Bool { error == nil }
    /// The points compared with flat: same mode, world size, model, link and wire format.
    var flatKey: String { "\(mode)/\(ranks)/\(model)/\(link ?? "-")/\(compress)" }
    public var globalBatch: Int { ranks * batchPerRank }
}

public struct ScalingSweep: Sendable {
    public var points: [ScalePoint]

    public init(points: [ScalePoint]) {
        self.points = points
        derive()
    }

    /// Reads `folder`/points.jsonl, one ScalePointRecord per line (Core/Records/ScalePointRecord.swift);
    /// a line that is not one is an error naming the line.
    public static func load(folder: String) throws -> ScalingSweep {
        let path = folder + "/points.jsonl"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw InputError("\(path): cannot read") }
        var points: [ScalePoint] = []
        for (i, line) in text.split(separator: "\n").enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let origin = "\(path):\(i + 1)"
            let r = try ScalePointRecord.decode(String(line), origin: origin)
            var p = ScalePoint(mode: r.mode ?? "?", strategy: r.strategy ?? "?", ranks: r.np, batchPerRank: r.batchPerRank,
                               oversubscribed: r.oversubscribed, error: r.failure)
            if p.ok {
                guard let b = r.bench else { throw InputError("\(origin): status ok but no bench object") }
                p.imagesPerSecond = b.imagesPerSec; p.stepMs = b.stepMs; p.computeMs = b.computeMs
                p.allreduceMs = b.allreduceMs; p.dataMs = b.dataMs; p.waitMs = b.waitMs; p.optimizerMs = b.optimizerMs
                p.sgemmGFLOPs = b.sgemmGFLOPs; p.model = b.model
                if let e = b.exchange {
                    p.compress = e.compress; p.exchangeMs = e.medianUs / 1000; p.bareAllreduceMs = e.bareAllreduceUs / 1000
                    p.wireBytes = e.wireBytesPerStep
                }
            }
            if let c = r.compress { p.compress = c }       // np=1 has no exchange record to say it
            p.link = r.link
            p.ranksPerHost = r.ranksPerHost ?? 0
            points.append(p)
        }
        return ScalingSweep(points: points)
    }

    /// Speedup and efficiency against np=1 of the same mode and strategy; throughput against flat.
    private mutating func derive() {
        let base = Dictionary(points.filter { $0.ok && $0.ranks == 1 }.map { ("\($0.mode)/\($0.strategy)/\($0.model)", $0.imagesPerSecond) },
                              uniquingKeysWith: { a, _ in a })
        let flat = Dictionary(points.filter { $0.ok && $0.strategy == "flat" }.map { ($0.flatKey, $0.imagesPerSecond) },
                              uniquingKeysWith: { a, _ in a })
        for i in points.indices where points[i].ok {
            if let b = base["\(points[i].mode)/\(points[i].strategy)/\(points[i].model)"] {
                points[i].speedup = points[i].imagesPerSecond / b
                points[i].efficiency = points[i].speedup / Double(points[i].ranks)
            }
            if let f = flat[points[i].flatKey] { points[i].versusFlat = points[i].imagesPerSecond / f }
        }
    }

    /// Compute per image from np=1 of the weak (else any) flat run, not on a link: (compute + optimizer) / batch.
    public var computeCost: ComputeCost? {
        let ones = points.filter { $0.ok && $0.ranks == 1 && $0.strategy == "flat" && $0.mode != "link" && ($0.computeMs + $0.optimizerMs) > 0 }
        guard let p = ones.first(where: { $0.mode == "weak" }) ?? ones.first else { return nil }
        return ComputeCost(secondsPerImage: (p.computeMs + p.optimizerMs) / 1000 / Double(p.batchPerRank),
                           source: "measured: flat, np=1, \(p.mode) batch \(p.batchPerRank), (compute_ms + optimizer_ms) / batch")
    }

    /// Modes, then strategies, in the order they first appear.
    public var modes: [String] { ordered(points.map(\.mode)) }
    public var strategies: [String] { ordered(points.map(\.strategy)) }

    /// scale.csv: one row per point; empty cells where a run failed (and link cells off a link).
    public func csv() -> String {
        var out = "mode,strategy,np,batch_per_rank,global_batch,oversubscribed,status,images_per_sec,step_ms,compute_ms,"
            + "allreduce_ms,data_ms,wait_ms,optimizer_ms,speedup,efficiency,vs_flat,error,model,link,ranks_per_host,compress,exchange_ms,wire_bytes\n"
        func f(_ v: Double, _ digits: Int = 3) -> String { v.isFinite ? String(format: "%.\(digits)f", v) : "" }
        for p in points {
            let cells = [p.mode, p.strategy, "\(p.ranks)", "\(p.batchPerRank)", "\(p.globalBatch)", p.oversubscribed ? "yes" : "no",
                         p.ok ? "ok" : "failed", f(p.imagesPerSecond, 1), f(p.stepMs), f(p.computeMs), f(p.allreduceMs),
                         f(p.dataMs), f(p.waitMs), f(p.optimizerMs), f(p.speedup), f(p.efficiency), f(p.versusFlat),
                         csvQuoted(p.error ?? ""), csvQuoted(p.model), p.link ?? "", p.link == nil ? "" : "\(p.ranksPerHost)",
                         p.compress, f(p.exchangeMs), p.wireBytes > 0 ? "\(p.wireBytes)" : ""]
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }
}

private func ordered(_ values: [String]) -> [String] {
    var seen = Set<String>()
    return values.filter { seen.insert($0).inserted }
}

private func csvQuoted(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}
