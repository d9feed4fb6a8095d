// The one-row-per-variant summary: final-epoch losses and accuracies, total training seconds
// (sum of epoch_seconds), mean images/s (mean over epochs), world size, and the Verdict (learned /
// plateau / diverged, with its reason). Rendered as the markdown table of summary.md and the HTML
// table at the top of report.html, same numbers. The verdict's number of classes comes from the
// run's confusion.json; without one, `assumedClasses` (10: every shipped dataset is a digit set).

import Core
import Foundation

public struct RunSummary {
    public var variant: String
    public var finalEpoch: Int?
    public var trainLoss: Double?
    public var valLoss: Double?
    public var valAccuracy: Double?
    public var testAccuracy: Double?
    public var testTop5: Double?
    public var trainSeconds: Double?
    public var imagesPerSec: Double?
    public var worldSize: Int?
    public var verdict: Verdict?

    public static let assumedClasses = 10

    public init(_ run: RunRecord) {
        variant = run.name
        let last = run.epochs.last
        finalEpoch = last?.epoch
        trainLoss = last?.trainLoss
        valLoss = last?.valLoss
        valAccuracy = last?.valAccuracy
        testAccuracy = last?.testAccuracy
        testTop5 = last?.testTop5
        worldSize = last?.worldSize
        let seconds = run.epochs.map(\.epochSeconds).filter(\.isFinite)
        trainSeconds = seconds.isEmpty ? nil : seconds.reduce(0, +)
        let rates = run.epochs.map(\.imagesPerSec).filter(\.isFinite)
        imagesPerSec = rates.isEmpty ? nil : rates.reduce(0, +) / Double(rates.count)
        verdict = Verdict.judge(run.epochs, classes: run.confusion?.classes ?? Self.assumedClasses)
    }

    /// Column titles and the decimals each number is printed with (nil: an integer).
    public static let columns: [(title: String, decimals: Int?)] = [
        ("final epoch", nil), ("train loss", 4), ("val loss", 4), ("val acc (%)", 2), ("test acc (%)", 2),
        ("test top-5 (%)", 2), ("train seconds", 1), ("images/s", 0), ("world size", nil),
    ]

    /// The printed cells, in `columns` order; "n/a" for a missing or non-finite value.
    public var cells: [String] {
        let values: [Double?] = [finalEpoch.map(Double.init), trainLoss, valLoss, valAccuracy, testAccuracy,
                                 testTop5, trainSeconds, imagesPerSec, worldSize.map(Double.init)]
        return zip(values, Self.columns).map { v, c in
            guard let v, v.isFinite else { return "n/a" }
            return String(format: "%.\(c.decimals ?? 0)f", v)
        }
    }

    /// The verdict cell: "plateau: loss 2.3015 ≈ ln 10 = 2.3026", or "n/a" with no epoch.
    public var verdictText: String { verdict?.text ?? "n/a" }

    /// Variant, the numbers in `columns` order, then the verdict (left-aligned: it is text).
    public static func markdownTable(_ rows: [RunSummary]) -> String {
        var out = "| variant | " + columns.map(\.title).joined(separator: " | ") + " | verdict |\n"
        out += "|---|" + String(repeating: "---:|", count: columns.count) + "---|\n"
        for r in rows {
            out += "| " + markdownCell(r.variant) + " | " + r.cells.joined(separator: " | ") + " | " + markdownCell(r.verdictText) + " |\n"
        }
        return out
    }

    public static func htmlTable(_ rows: [RunSummary]) -> String {
        var out = "<table>\n<thead><tr><th>variant</th>" + columns.map { "<th>\(XMLText.escape($0.title))</th>" }.joined()
            + "<th>verdict</th></tr></thead>\n<tbody>\n"
        for (i, r) in rows.enumerated() {
            out += "<tr><td><span class=\"swatch\" style=\"background:\(Palette.color(i))\"></span>\(XMLText.escape(r.variant))</td>"
                + r.cells.map { "<td class=\"num\">\($0)</td>" }.joined()
                + "<td class=\"verdict \(r.verdict?.kind.rawValue ?? "none")\"><b>\(r.verdict?.kind.rawValue ?? "n/a")</b>"
                + (r.verdict?.reason.map { ": " + XMLText.escape($0) } ?? "") + "</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    private static func markdownCell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
