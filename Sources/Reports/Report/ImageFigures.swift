// The per-variant pictures: throughput and wall-time bar charts across variants, the confusion
// heatmap with its most confused pairs, and grey-scale grids of filters and feature maps.
// File names carry the variant ("confusion-<variant>.svg") when the report has several.

import Core
import Foundation

enum ImageFigures {
    static func all(_ runs: [RunRecord]) -> [Figure] {
        var figures = bars(runs)
        for run in runs {
            let suffix = runs.count > 1 ? "-" + fileSafe(run.name) : ""
            let of = runs.count > 1 ? " (\(run.name))" : ""
            if let c = run.confusion { figures.append(confusion(c, file: "confusion\(suffix).svg", of: of)) }
            if let f = run.filters { figures.append(grid(f, file: "filters\(suffix).svg", what: "Filters", of: of)) }
            if let f = run.features { figures.append(grid(f, file: "features\(suffix).svg", what: "Feature maps", of: of)) }
        }
        return figures
    }

    /// Mean images/s and total training time split into compute, communication, data and the rest.
    static func bars(_ runs: [RunRecord]) -> [Figure] {
        guard runs.contains(where: { !$0.epochs.isEmpty }) else { return [] }
        var rate = SVGBarChart(title: "Training throughput", valueLabel: "images per second (mean over epochs)")
        var time = SVGBarChart(title: "Training wall time", valueLabel: "seconds (sum over epochs)")
        time.segmentNames = ["compute", "communication", "data", "other"]
        time.decimals = 1
        for run in runs {
            let summary = RunSummary(run)
            rate.addBar(run.name, summary.imagesPerSec ?? .nan)
            func total(_ k: KeyPath<EpochMetrics, Double>) -> Double { run.epochs.map { $0[keyPath: k] }.filter(\.isFinite).reduce(0, +) }
            let parts = [total(\.computeSeconds), total(\.commSeconds), total(\.dataSeconds)]
            time.addBar(run.name, segments: parts + [max(0, total(\.epochSeconds) - parts.reduce(0, +))])
        }
        return [Figure(file: "throughput.svg", section: "Throughput", svg: rate.render()),
                Figure(file: "wall_time.svg", section: "Throughput", svg: time.render())]
    }

    static func confusion(_ c: ConfusionRecord, file: String, of: String) -> Figure {
        let labels = c.classLabels
        var map = SVGHeatmap(title: "Confusion matrix" + of, matrix: c.matrix.map { $0.map(Double.init) },
                             rowLabels: labels, columnLabels: labels)
        let total = c.matrix.joined().reduce(0, +)
        let correct = (0..<c.classes).map { c.matrix[$0][$0] }.reduce(0, +)
        map.subtitle = "\(correct) of \(total) correct" + (total > 0 ? String(format: " (%.2f%%)", 100 * Double(correct) / Double(total)) : "")
        var notes = "<p>Most confused (true → predicted):</p>\n<ol>\n"
        for (t, p, n) in c.mostConfused(5) {
            let rowTotal = c.matrix[t].reduce(0, +)
            notes += "<li>\(XMLText.escape(labels[t])) → \(XMLText.escape(labels[p])): \(n)"
                + (rowTotal > 0 ? String(format: " (%.2f%% of true ", 100 * Double(n) / Double(rowTotal)) + XMLText.escape(labels[t]) + ")" : "")
                + "</li>\n"
        }
        notes += c.mostConfused(5).isEmpty ? "<li>none: every answer is correct</li>\n</ol>\n" : "</ol>\n"
        return Figure(file: file, section: "Confusion", svg: map.render(), notesHTML: notes)
    }

    static func grid(_ r: ImageGridRecord, file: String, what: String, of: String) -> Figure {
        var g = SVGImageGrid(title: "\(what): \(r.layer)" + of, images: r.grayImages,
                             captions: r.images.enumerated().map { $1.label ?? String($0) })
        g.subtitle = "each image scaled to black = its minimum, white = its maximum"
        return Figure(file: file, section: what, svg: g.render())
    }
}
