// `dtrain scale report DIR`: renders a launch/scale sweep (points.jsonl) as scale.csv, scale.md (the
// measured table, then the projection) and scale.svg (images/s against world size, one series per
// strategy and mode, the projected lines beside them); with `launch/scale --link` points, also the
// emulated links' measured-against-projected section and link-*.svg (LinkReport.swift), and the
// forced algorithms against their models (AlgorithmValidationReport.swift). The
// projection itself is Training's.

import Core
import Foundation
import Training
import NN

public struct ScalingReport {
    public var sweep: ScalingSweep
    public var projections: [[ScalingProjection]]      // one group per model, one entry per network
    public var fit: RingFit?
    public var command: String                         // what made the sweep, quoted in scale.md
    public var cores: Int
    public var links: [LinkComparison] = []            // emulated-link points beside their prediction
    public var validations: [AlgorithmValidation] = [] // forced algorithms beside one joint model

    public init(sweep: ScalingSweep, projections: [[ScalingProjection]], fit: RingFit?, command: String, cores: Int) {
        self.sweep = sweep
        self.projections = projections
        self.fit = fit
        self.command = command
        self.cores = cores
    }

    /// Writes scale.csv, scale.md and scale.svg into `folder`; returns their paths.
    public func write(folder: String) throws -> [String] {
        var files = [("scale.csv", sweep.csv()), ("scale.md", markdown()), ("scale.svg", svg())]
        files += linkSVGs()
        files += validationSVGs()
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/" + name), options: .atomic) }
        return files.map { folder + "/" + $0.0 }
    }

    /// The measured table (one row per point) and the projected table.
    public func markdown() -> String {
        func f(_ v: Double, _ d: Int) -> String { v.isFinite ? String(format: "%.\(d)f", v) : "–" }
        var out = "Made by `\(command)` on \(cores) cores. Times are per step on rank 0, in ms; speedup is images/s over np=1 of the same mode and strategy; "
        out += "efficiency = speedup / np; \"vs flat\" is images/s over flat's at the same np.\n\n"
        out += "| mode | strategy | np | batch/rank | images/s | step | compute | allreduce | data | waiting | optimizer | speedup | efficiency | vs flat | note |\n"
        out += "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n"
        for p in oneHostPoints {
            let note = p.error.map { "failed: " + $0.replacingOccurrences(of: "|", with: "/") } ?? (p.oversubscribed ? "oversubscribed (\(p.ranks) ranks > \(cores) cores)" : "")
            out += "| \(p.mode) | \(p.strategy) | \(p.ranks) | \(p.batchPerRank) | \(f(p.imagesPerSecond, 0)) | \(f(p.stepMs, 2)) | \(f(p.computeMs, 2)) | "
            out += "\(f(p.allreduceMs, 3)) | \(f(p.dataMs, 2)) | \(f(p.waitMs, 3)) | \(f(p.optimizerMs, 3)) | \(f(p.speedup, 2)) | \(f(p.efficiency, 2)) | \(f(p.versusFlat, 2)) | \(note) |\n"
        }
        if let fit { out += "\nAllreduce: " + fit.summary + ".\n" }
        for group in projections {
            guard let first = group.first else { continue }
            out += "\n**Projection, \(first.modelName)** (\(grouped(first.parameters)) parameters, \(grouped(Int(first.gradientBytes))) gradient bytes; "
            out += String(format: "compute %.4f ms/image, %@; %d images per rank; allreduce (%@) not overlapped):\n\n",
                          1000 * first.compute.secondsPerImage, first.compute.source, first.batchPerRank,
                          first.choice == .mpiDefault ? "Open MPI's choice" : first.choice.name)
            out += "| ranks | algorithm | " + group.map { "\($0.network.name): images/s | efficiency" }.joined(separator: " | ") + " |\n"
            out += "|--:|:--|" + group.map { _ in "--:|--:" }.joined(separator: "|") + "|\n"
            for r in ScalingProjection.projectedRanks {
                out += "| \(r) | \(first.point(ranks: r).algorithm.rawValue) | " + group.map { proj -> String in
                    let q = proj.point(ranks: r)
                    return String(format: "%.0f | %.1f%%", q.imagesPerSecond, 100 * q.efficiency)
                }.joined(separator: " | ") + " |\n"
            }
        }
        return out + linkMarkdown() + validationMarkdown()
    }

    /// The points of the shared-memory sweep (the emulated links' are in their own section).
    var oneHostPoints: [ScalePoint] { sweep.points.filter { $0.mode != "link" } }

    /// images/s against np on log-log axes: measured series (colour = strategy, dash = mode,
    /// hollow = oversubscribed) and the first model's projected weak-scaling lines.
    public func svg() -> String {
        var plot = LogXPlot(title: "Scaling: images/s against world size", xLabel: "ranks (np)", yLabel: "images/s (global)", logY: true)
        plot.subtitle = "measured on \(cores) cores (hollow: oversubscribed); dotted: projected weak scaling, flat allreduce not overlapped"
        let strategies = sweep.strategies
        for mode in sweep.modes where mode != "link" {
            for (k, strategy) in strategies.enumerated() {
                let pts = oneHostPoints.filter { $0.mode == mode && $0.strategy == strategy && $0.ok }.sorted { $0.ranks < $1.ranks }
                guard !pts.isEmpty else { continue }
                let batch = mode == "strong" ? "global \(pts[0].globalBatch)" : "\(pts[0].batchPerRank)/rank"
                plot.add("\(strategy), \(mode) (\(batch))", x: pts.map { Double($0.ranks) }, y: pts.map(\.imagesPerSecond),
                         color: Palette.color(k), dash: mode == "strong" ? "6 3" : nil,
                         hollow: Set(pts.indices.filter { pts[$0].oversubscribed }))
            }
        }
        let greys = ["#555555", "#999999", "#c0504d"]
        if let group = projections.first {
            let ranks = [1, 2, 4] + ScalingProjection.projectedRanks
            for (i, proj) in group.enumerated() {
                plot.add("\(proj.modelName) projected: \(proj.network.name)", x: ranks.map(Double.init),
                         y: ranks.map { proj.point(ranks: $0).imagesPerSecond }, color: greys[i % greys.count], dash: "2 3", markers: false)
            }
        }
        return plot.render()
    }

    /// Efficiency against world size for every projection (one colour per network, dash per model).
    public func projectionSVG() -> String {
        var plot = LogXPlot(title: "Projected weak-scaling efficiency", xLabel: "ranks", yLabel: "efficiency (compute / step)", logY: false)
        let choice = projections.first?.first?.choice ?? .mpiDefault
        plot.subtitle = "\(choice == .mpiDefault ? "Open MPI's choice of" : choice.name) allreduce of the whole gradient after backward, "
            + "not overlapped; fixed batch per rank"
        plot.yIncludesZero = true
        let ranks = [1, 2, 4] + ScalingProjection.projectedRanks
        for (m, group) in projections.enumerated() {
            for (i, proj) in group.enumerated() {
                plot.add("\(proj.modelName): \(proj.network.name)", x: ranks.map(Double.init),
                         y: ranks.map { proj.point(ranks: $0).efficiency }, color: Palette.color(i), dash: Palette.dash(m), markers: m == 0)
            }
        }
        return plot.render()
    }
}
