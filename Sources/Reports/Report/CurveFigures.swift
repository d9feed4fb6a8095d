// The line plots of a report: training loss per step (smoothed, raw faint), validation loss and
// accuracy and test accuracy per epoch, and one plot per diagnostics metric (colour per layer,
// dash per variant). A plot with nothing to draw is left out.

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
        return curves.compactMap { $0 } + diagnostics(runs)
    }

    /// Per-step loss of every variant on shared axes; a run without steps.csv rows falls back
    /// to its per-epoch train_loss at each epoch's last step.
    static func trainingLoss(_ runs: [RunRecord]) -> Figure? {
        let longest = runs.map(\.steps.count).max() ?? 0
        let weight = Smoothing.suggestedWeight(count: longest)
        var plot = SVGPlot(title: "Training loss per step", xLabel: "global step", yLabel: "train loss")
        plot.subtitle = "faint: every step; bold: exponential moving average (weight " + String(format: "%.3g", weight) + ")"
        for run in runs {
            if run.steps.isEmpty {
                plot.addLine(run.name, x: run.epochs.map { Double($0.step) }, y: run.epochs.map(\.trainLoss), markers: true)
            } else {
                plot.addSmoothed(run.name, x: run.steps.map { Double($0.step) }, y: run.steps.map(\.trainLoss), weight: weight)
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
        for run in runs {
            plot.addLine(run.name, x: run.epochs.map { Double($0.epoch) }, y: run.epochs.map(value), markers: true)
        }
        return plot.hasData ? Figure(file: file, section: "Per epoch", svg: plot.render()) : nil
    }

    /// One figure per metric found in any epoch's diagnostics, series per (variant, layer).
    static func diagnostics(_ runs: [RunRecord]) -> [Figure] {
        var metrics: [String] = [], layers: [String] = []
        for run in runs {
            for e in run.epochs {
                for l in e.diagnostics {
                    if !layers.contains(l.name) { layers.append(l.name) }
                    for (k, _) in l.values where !metrics.contains(k) { metrics.append(k) }
                }
            }
        }
        return metrics.compactMap { metric in
            var plot = SVGPlot(title: "Diagnostics: \(metric) per layer", xLabel: "epoch", yLabel: metric)
            plot.integerX = true
            if runs.count > 1 { plot.subtitle = "colour: layer; line style: variant" }
            for (v, run) in runs.enumerated() {
                for (li, layer) in layers.enumerated() {
                    let ys = run.epochs.map { e in e.diagnostics.first { $0.name == layer }?[metric] }
                    guard ys.contains(where: { $0 != nil }) else { continue }
                    plot.addLine(runs.count > 1 ? "\(run.name) · \(layer)" : layer,
                                 x: run.epochs.map { Double($0.epoch) }, y: ys, markers: true,
                                 color: Palette.color(li), dash: Palette.dash(v))
                }
            }
            plot.logY = wantsLog(plot.series.flatMap(\.y), decades: 2)
            if plot.logY { plot.yLabel += " (log scale)" }
            guard plot.hasData else { return nil }
            return Figure(file: "diagnostics-\(fileSafe(metric)).svg", section: "Diagnostics", svg: plot.render())
        }
    }

    /// Log-y when every finite value is positive and they span more than `decades` powers of ten
    /// (losses: the smoothed curves, one decade; diagnostics: two).
    static func wantsLog(_ values: [Double], decades: Double) -> Bool {
        let v = values.filter(\.isFinite)
        guard let lo = v.min(), let hi = v.max(), lo > 0 else { return false }
        return hi / lo > pow(10, decades)
    }
}
