// The emulated-link part of a launch/scale report (`launch/scale --link`): per point the measured
// step and exchange beside the projection's prediction from the same link's fit, and the error; the
// bytes per step by wire format; and link-<model>-np<N>.svg, the exchange time against the link's
// fitted bandwidth, measured (markers) and predicted (dashed), one colour per wire format.

import Core
import Foundation
import NN
import Training

extension ScalingReport {
    /// The markdown section ("" without link points).
    public func linkMarkdown() -> String {
        guard !links.isEmpty else { return "" }
        func f(_ v: Double, _ d: Int) -> String { v.isFinite ? String(format: "%.\(d)f", v) : "–" }
        func pct(_ v: Double) -> String { v.isFinite ? String(format: "%+.0f%%", 100 * v) : "–" }
        var out = "\n## Emulated links: measured against projected\n\n"
        out += "Ranks in two network namespaces joined by a veth pair, TCP only, each end's egress shaped by HTB at the link rate "
        out += "(`none`: unshaped). Per link, `dtrain bench comm` at np=2 across it gives alpha and beta (`comm-fit-<rate>.json`), "
        out += "taken in two regimes: alpha from the fit over all sizes, beta refitted over the messages of 256 KiB and more "
        out += "(HTB passes a message of up to one 64 KiB segment at once, faster than the rate, which pulls a fit over all sizes "
        out += "towards a faster link). The prediction is Open MPI's allreduce choice for the bytes on the wire at that np, priced on "
        out += "that link (steps inside one namespace on the shared-memory fit); a 16-bit wire adds its conversions measured at np=1 "
        out += "(`codec`) and the same per element for the elements the reduction combines. The step adds np=1's compute of the same "
        out += "model. Exchange: the median per training step on rank 0; bare: an fp32 allreduce of the same buffer back to back. "
        out += "Error = predicted / measured - 1.\n\n"
        for link in orderedLinks {
            if let c = links.first(where: { $0.link == link }) {
                let large = c.linkFit.samples.filter { $0.bytes >= 256 * 1024 }.count
                let source = large >= 2 ? "from \(large) samples of 256 KiB and more" : "over all sizes (too few samples of 256 KiB and more)"
                out += String(format: "- `%@`: alpha %.2f us, beta %.4g s/byte (%.2f Gb/s) %@; over all sizes: %.2f Gb/s, rms relative residual %.0f%%\n",
                              link, c.linkFit.model.alpha * 1e6, c.linkFit.model.beta, c.fittedGigabits, source,
                              8 / c.allSizesFit.model.beta / 1e9, 100 * c.allSizesFit.rmsRelativeResidual)
            }
        }
        out += "\n| link | model | wire | np | ranks/host | algorithm | bytes/step | step ms | predicted | error | exchange ms | bare ms | codec ms | predicted | error | note |\n"
        out += "|---|---|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n"
        for c in links {
            out += "| \(c.link) | \(c.model) | \(c.compress == "none" ? "fp32" : c.compress) | \(c.ranks) | \(c.ranksPerHost) | \(c.algorithm.rawValue) | "
            out += "\(grouped(c.wireBytes)) | \(f(c.measuredStepMs, 2)) | \(f(c.predictedStepMs, 2)) | \(pct(c.stepError)) | "
            out += "\(f(c.measuredExchangeMs, 3)) | \(f(c.bareAllreduceMs, 3)) | \(c.compress == "none" ? "" : f(c.codecMs, 3)) | "
            out += "\(f(c.predictedExchangeMs, 3)) | \(pct(c.exchangeError)) | "
            out += (c.oversubscribed ? "oversubscribed (\(c.ranks) ranks > \(cores) cores)" : "") + " |\n"
        }
        out += wireFormatMarkdown()
        return out
    }

    /// Bytes per rank and step by model and wire format, with the ratio to fp32, and the exchange
    /// speed-up of each 16-bit format over fp32 on each link at each np.
    public func wireFormatMarkdown() -> String {
        let models = ordered(links.map(\.model)), formats = ordered(links.map(\.compress))
        guard !models.isEmpty else { return "" }
        var out = "\n**Bytes per step by wire format** (per rank, as `dtrain bench train` counts them):\n\n"
        out += "| model | " + formats.map { $0 == "none" ? "fp32" : $0 }.joined(separator: " | ") + " |\n"
        out += "|---|" + formats.map { _ in "--:" }.joined(separator: "|") + "|\n"
        for m in models {
            let fp32 = links.first { $0.model == m && $0.compress == "none" }?.wireBytes
            out += "| \(m) | " + formats.map { w -> String in
                guard let b = links.first(where: { $0.model == m && $0.compress == w })?.wireBytes else { return "–" }
                guard let fp32, w != "none" else { return grouped(b) }
                return grouped(b) + String(format: " (%.2fx)", Double(b) / Double(fp32))
            }.joined(separator: " | ") + " |\n"
        }
        let pairs = links.filter { $0.compress != "none" }.compactMap { c -> String? in
            guard let base = links.first(where: { $0.compress == "none" && $0.model == c.model && $0.link == c.link && $0.ranks == c.ranks })
            else { return nil }
            return String(format: "| %@ | %@ | %d | %@ | %.3f | %.3f | %.2fx |", c.link, c.model, c.ranks, c.compress,
                          base.measuredExchangeMs, c.measuredExchangeMs, base.measuredExchangeMs / c.measuredExchangeMs)
        }
        if !pairs.isEmpty {
            out += "\n**Exchange time, 16-bit against fp32** (measured medians):\n\n| link | model | np | wire | fp32 ms | 16-bit ms | faster |\n|---|---|--:|---|--:|--:|--:|\n"
            out += pairs.joined(separator: "\n") + "\n"
        }
        return out
    }

    /// Exchange time against the link's fitted bandwidth, one figure per model and world size
    /// (file link-<model>-np<N>.svg): per wire format, measured markers and a dashed prediction.
    public func linkSVGs() -> [(String, String)] {
        var figures: [(String, String)] = []
        for model in ordered(links.map(\.model)) {
            for ranks in Array(Set(links.filter { $0.model == model }.map(\.ranks))).sorted() {
                let here = links.filter { $0.model == model && $0.ranks == ranks }
                let perHost = here.first?.ranksPerHost ?? 1
                var plot = LogXPlot(title: "\(model), np=\(ranks) (\(perHost) per host): exchange per step over emulated links",
                                    xLabel: "link bandwidth from its fit (Gb/s)", yLabel: "exchange per step (ms)", logY: true)
                plot.subtitle = "markers: measured median; dashed: projected from the link's alpha and beta"
                    + (here.contains { $0.oversubscribed } ? " (hollow: oversubscribed)" : "")
                for (k, wire) in ordered(here.map(\.compress)).enumerated() {
                    let pts = here.filter { $0.compress == wire }.sorted { $0.fittedGigabits < $1.fittedGigabits }
                    let name = wire == "none" ? "fp32" : wire
                    plot.add(name + " measured", x: pts.map(\.fittedGigabits), y: pts.map(\.measuredExchangeMs), color: Palette.color(k),
                             hollow: Set(pts.indices.filter { pts[$0].oversubscribed }))
                    plot.add(name + " projected", x: pts.map(\.fittedGigabits), y: pts.map(\.predictedExchangeMs), color: Palette.color(k),
                             dash: "5 3", markers: false)
                }
                figures.append(("link-\(fileSafe(model))-np\(ranks).svg", plot.render()))
            }
        }
        return figures
    }

    var orderedLinks: [String] { ordered(links.map(\.link)) }
}

private func ordered(_ values: [String]) -> [String] {
    var seen = Set<String>()
    return values.filter { seen.insert($0).inserted }
}

