// The cost models checked against forced algorithms (launch/scale --algorithms): per place and world
// size, the jointly fitted alpha, beta and gamma, a table of model / measured - 1 per algorithm and
// message size from 64 KiB, and algorithms-<place>-np<N>.svg: time against message size, measured
// (markers) and modelled (dashed), one colour per algorithm.

import Core
import Foundation
import Training

extension ScalingReport {
    /// The markdown section ("" without validations).
    public func validationMarkdown() -> String {
        guard !validations.isEmpty else { return "" }
        var out = "\n## Allreduce algorithms: measured against modelled\n\n"
        out += "Each algorithm forced with `dtrain bench comm --algorithm A` (Open MPI's coll_tuned dynamic rules); per place and world size "
        out += "ONE alpha, beta and gamma fitted to all algorithms' timings of 64 KiB and more together (relative least squares), then each algorithm's model "
        out += "in the terms of docs/scaling.md. Cells: model / measured - 1 (goal: within ±20% from 64 KiB).\n"
        for v in validations {
            let sizes = Array(Set(v.goalRows.map(\.bytes))).sorted()
            out += String(format: "\n**%@, np=%d**: alpha %.2f us, beta %.4g s/byte (%.2f GB/s), gamma %.4g s/byte; worst |error| from 64 KiB: %.0f%%\n\n",
                          v.place, v.ranks, v.alpha * 1e6, v.beta, v.beta > 0 ? 1 / v.beta / 1e9 : .nan, v.gamma, 100 * v.worstGoalError)
            out += "| algorithm | " + sizes.map(byteLabel).joined(separator: " | ") + " |\n|---|" + sizes.map { _ in "--:" }.joined(separator: "|") + "|\n"
            for a in orderedAlgorithms(v) {
                out += "| \(a.rawValue) | " + sizes.map { b -> String in
                    guard let r = v.goalRows.first(where: { $0.algorithm == a && $0.bytes == b }) else { return "–" }
                    return String(format: "%+.0f%%", 100 * r.error) + (r.runs != a ? " (\(r.runs.rawValue))" : "")
                }.joined(separator: " | ") + " |\n"
            }
        }
        return out
    }

    /// One SVG per validation: (file name, SVG).
    public func validationSVGs() -> [(String, String)] {
        validations.map { v in
            var plot = LogXPlot(title: "Allreduce algorithms, \(v.place), np=\(v.ranks): measured and modelled",
                                xLabel: "message (bytes)", yLabel: "time per allreduce (us)", logY: true)
            plot.subtitle = String(format: "markers: measured median; dashed: one alpha/beta/gamma fitted to all algorithms from 64 KiB (%.1f us, %.2f GB/s, gamma %.2g s/B)",
                                   v.alpha * 1e6, v.beta > 0 ? 1 / v.beta / 1e9 : .nan, v.gamma)
            plot.xTickLabel = byteLabel
            for (k, a) in orderedAlgorithms(v).enumerated() {
                let rows = v.rows.filter { $0.algorithm == a }.sorted { $0.bytes < $1.bytes }
                let x = rows.map { Double($0.bytes) }
                plot.add("\(a.rawValue) measured", x: x, y: rows.map { $0.measuredSeconds * 1e6 }, color: Palette.color(k))
                let fitted = rows.filter { $0.bytes >= AlgorithmValidation.goalFromBytes }   // the model is fitted and claimed from 64 KiB
                plot.add("\(a.rawValue) model", x: fitted.map { Double($0.bytes) }, y: fitted.map { $0.modelSeconds * 1e6 },
                         color: Palette.color(k), dash: "5 3", markers: false)
            }
            return ("algorithms-\(v.place)-np\(v.ranks).svg", plot.render())
        }
    }

    private func orderedAlgorithms(_ v: AlgorithmValidation) -> [AllreduceAlgorithm] {
        AllreduceAlgorithm.allCases.filter { a in v.rows.contains { $0.algorithm == a } }
    }
}

/// 65536 -> "64K", 1048576 -> "1M", 512 -> "512".
func byteLabel(_ v: Double) -> String {
    let n = Int(v.rounded())
    if n >= 1 << 20, n % (1 << 20) == 0 { return "\(n >> 20)M" }
    if n >= 1 << 10, n % (1 << 10) == 0 { return "\(n >> 10)K" }
    return "\(n)"
}
func byteLabel(_ n: Int) -> String { byteLabel(Double(n)) }
