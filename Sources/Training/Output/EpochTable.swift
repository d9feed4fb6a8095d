// The per-epoch table rank 0 prints at the end of a run (and when resuming a run that is already
// complete), one row per epoch of metrics.jsonl, as results are reported:
//
//   epoch  train loss  val loss  val acc  test acc   img/s  seconds
//       1      0.3827    0.0798   97.24%    97.55%   36600      1.5
//
// An epoch without evaluation (train.eval_every) or a run without a validation split shows "-"
// where its numbers are null. Column widths grow with their widest cell.

import Core
import Foundation

public enum EpochTable {
    static let headers = ["epoch", "train loss", "val loss", "val acc", "test acc", "img/s", "seconds"]

    /// The table's lines, header first; "" for no epochs.
    public static func text(_ epochs: [EpochMetrics]) -> String {
        guard !epochs.isEmpty else { return "" }
        let rows = epochs.map(cells)
        let widths = headers.indices.map { c in rows.reduce(headers[c].count) { max($0, $1[c].count) } }
        func line(_ cells: [String]) -> String {
            cells.indices.map { String(repeating: " ", count: widths[$0] - cells[$0].count) + cells[$0] }
                .joined(separator: "  ")
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    /// One epoch's cells, in the order of `headers`.
    static func cells(_ m: EpochMetrics) -> [String] {
        func number(_ v: Double?, _ format: String) -> String {
            guard let v, v.isFinite else { return "-" }
            return String(format: format, v)
        }
        return [String(m.epoch), number(m.trainLoss, "%.4f"), number(m.valLoss, "%.4f"), number(m.valAccuracy, "%.2f%%"),
                number(m.testAccuracy, "%.2f%%"), number(m.imagesPerSec, "%.0f"), number(m.epochSeconds, "%.1f")]
    }
}
