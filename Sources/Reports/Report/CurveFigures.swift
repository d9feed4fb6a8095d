// The line plots of a report: training loss per step (smoothed, raw faint), validation loss and
// accuracy and test accuracy per epoch; the diagnostics twice: the last epoch as a variant x layer
// table of shaded cells (read first: which variant has dead or gradient-less layers), then one
// small-multiples figure per metric (a panel per layer, a line per variant) for how they got there.
// Variant i has Palette.color(i) in every figure. A figure with nothing to draw is left out.

import Core
import Foundation

enum CurveFigures {
    static func all(_ runs: [RunRecord]) -> [Figure] {
        let curves: [Figure?] = [
            trainingLoss(runs),
            perEpoch(runs, file: "val_loss.svg", title: "Validation loss per epoch", y: "validation loss") { $0.valLoss },
            perEpoch(runs, file: "val_accuracy.svg", title: "Validation accuracy per epoch", y: "validation accuracy (%)") { $0.valAccuracy },
            perEpoch(runs, file: "test_accuracy.svg", title: "Test accuracy per epoch", y: "test accuracy (%)") { $0.testAccuracy },
        ]
        return curves.compactMap { $0 } + [lastEpochDiagnostics(runs)].compactMap { $0 } + diagnostics(runs)
    }

    /// Per-step loss of every variant on shared axes; a run without steps.csv rows falls back
    /// to its per-epoch train_loss at each epoch's last step.
    static func trainingLoss(_ runs: [RunRecord]) -> Figure? {
        let longest = runs.map(\.steps.count).max() ?? 0
        let weight = Smoothing.suggestedWeight(count: longest)
        var plot = SVGPlot(title: "Training loss per step", xLabel: "global step", yLabel: "train loss")
        plot.subtitle = "faint: every step; bold: exponential moving average (weight " + String(format: "%.3g", weight) + ")"
        for (v, run) in runs.enumerated() {
            if run.steps.isEmpty {
                plot.addLine(run.name, x: run.epochs.map { Double($0.step) }, y: run.epochs.map(\.trainLoss), markers: true,
                             color: Palette.color(v))
            } else {
                plot.addSmoothed(run.name, x: run.steps.map { Double($0.step) }, y: run.steps.map(\.trainLoss), weight: weight,
                                 color: Palette.color(v))
            }
        }
        let smoothed = runs.flatMap { $0.steps.isEmpty ? $0.epochs.map(\.trainLoss) : Smoothing.ema($0.steps.map(\.trainLoss), weight: weight) }
        plot.logY = wantsLog(smoothed, decades: 1)
        if plot.logY { plot.yLabel += " (log scale)" }
        return plot.hasData ? Figure(file: "loss.svg", section: "Training loss", svg: plot.render()) : nil
    }

    static func perEpoch(_ runs: [RunRecord], file: String, title: String, y: String,
                         _ value: (EpochMetrics) -> Double?) -> Figure? {
        var plot = SVGPlot(title: title, xLabel: "epoch", yLabel: y)
        plot.integerX = true
        for (v, run) in runs.enumerated() {
            plot.addLine(run.name, x: run.epochs.map { Double($0.epoch) }, y: run.epochs.map(value), markers: true,
                         color: Palette.color(v))
        }
        return plot.hasData ? Figure(file: file, section: "Per epoch", svg: plot.render()) : nil
    }

    /// The metrics and the layers found in any epoch's diagnostics, in order of appearance, except
    /// that dead_fraction and grad_norm, the two that tell why a network does not learn, come first.
    static func diagnosticsNames(_ runs: [RunRecord]) -> (metrics: [String], layers: [String]) {
        var metrics: [String] = [], layers: [String] = []
        for run in runs {
            for e in run.epochs {
                for l in e.diagnostics {
                    if !layers.contains(l.name) { layers.append(l.name) }
                    for (k, _) in l.values where !metrics.contains(k) { metrics.append(k) }
                }
            }
        }
        let first = ["dead_fraction", "grad_norm"].filter(metrics.contains)
        return (first + metrics.filter { !first.contains($0) }, layers)
    }

    /// One small-multiples figure per diagnostics metric: a panel per layer that has the metric,
    /// a line per variant in the variant's colour, one shared legend of variants.
    static func diagnostics(_ runs: [RunRecord]) -> [Figure] {
        let (metrics, layers) = diagnosticsNames(runs)
        return metrics.compactMap { metric in
            var chart = SVGSmallMultiples(title: "Diagnostics: \(metric) per epoch, one panel per layer", seriesNames: runs.map(\.name))
            chart.subtitle = "x: epoch; one colour per variant, as in every figure; log scale where a panel says so"
            for layer in layers {
                let lines = runs.enumerated().compactMap { v, run -> SVGSmallMultiples.Line? in
                    let ys = run.epochs.map { e in e.diagnostics.first { $0.name == layer }?[metric] ?? .nan }
                    guard ys.contains(where: \.isFinite) else { return nil }
                    return SVGSmallMultiples.Line(series: v, x: run.epochs.map { Double($0.epoch) }, y: ys)
                }
                guard !lines.isEmpty else { continue }
                chart.panels.append(SVGSmallMultiples.Panel(title: layer, lines: lines,
                                                            logY: wantsLog(lines.flatMap(\.y), decades: 2)))
            }
            guard chart.hasData else { return nil }
            return Figure(file: "diagnostics-\(fileSafe(metric)).svg", section: "Diagnostics per epoch", svg: chart.render())
        }
    }

    /// The last epoch's diagnostics as one table of coloured cells: a row per variant, a block
    /// per metric with a column per layer that has it; log shading where values span two decades.
    static func lastEpochDiagnostics(_ runs: [RunRecord]) -> Figure? {
        let (metrics, layers) = diagnosticsNames(runs)
        let last = runs.map { $0.epochs.last(where: { !$0.diagnostics.isEmpty })?.diagnostics ?? [] }
        var grid = SVGValueGrid(title: "Diagnostics at the last epoch, per layer and variant", rowLabels: runs.map(\.name))
        grid.subtitle = "the last epoch with diagnostics of each variant; each block shaded on its own scale"
        for metric in metrics {
            let columns = layers.filter { layer in last.contains { $0.first { $0.name == layer }?[metric]?.isFinite ?? false } }
            guard !columns.isEmpty else { continue }
            let values = last.map { layersOfRun in columns.map { c in layersOfRun.first { $0.name == c }?[metric] ?? .nan } }
            grid.blocks.append(SVGValueGrid.Block(title: metric, columns: columns, values: values,
                                                  logScale: wantsLog(values.joined().map { $0 }, decades: 2),
                                                  percent: metric.hasSuffix("fraction")))
        }
        return grid.hasData ? Figure(file: "diagnostics-last-epoch.svg", section: "Diagnostics at the last epoch", svg: grid.render()) : nil
    }

    /// Log-y when every finite value is positive and they span more than `decades` powers of ten
    /// (losses: the smoothed curves, one decade; diagnostics: two).
    static func wantsLog(_ values: [Double], decades: Double) -> Bool {
        let v = values.filter(\.isFinite)
        guard let lo = v.min(), let hi = v.max(), lo > 0 else { return false }
        return hi / lo > pow(10, decades)
    }
}
