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

    /// Mean images/s, and rank 0's wall time split into its named parts (WallTimeParts); the wall
    /// time in no part is a number in the subtitle, the largest share when there are several runs.
    static func bars(_ runs: [RunRecord]) -> [Figure] {
        guard runs.contains(where: { !$0.epochs.isEmpty }) else { return [] }
        var rate = SVGBarChart(title: "Training throughput", valueLabel: "images per second (mean over epochs)")
        var time = SVGBarChart(title: "Wall time", valueLabel: "seconds on rank 0 (sum over epochs)")
        time.segmentNames = WallTimeParts.names
        time.decimals = 1
        // the legend is one row from the plot's left edge: the plot is at least as wide
        time.plotWidth = max(time.plotWidth, WallTimeParts.names.map { 30 + textWidth($0, size: 11) }.reduce(0, +))
        var largest: (name: String, parts: WallTimeParts)?
        for run in runs {
            let summary = RunSummary(run)
            rate.addBar(run.name, summary.imagesPerSec ?? .nan)
            let parts = WallTimeParts(summing: run.epochs)
            time.addBar(run.name, segments: parts.seconds)
            if parts.wall > 0, parts.unaccounted / parts.wall >= (largest.map { $0.parts.unaccounted / $0.parts.wall } ?? -1) {
                largest = (run.name, parts)
            }
        }
        if let (name, parts) = largest {
            time.subtitle = String(format: "unaccounted: %.2f s (%.1f%%) of %.1f s",
                                   parts.unaccounted, 100 * parts.unaccounted / parts.wall, parts.wall)
                + (runs.count > 1 ? " in \(name), the most of any variant" : "")
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
