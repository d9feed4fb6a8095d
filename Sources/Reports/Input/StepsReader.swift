// steps.csv -> [StepRow]. The header must start `step,epoch,train_loss,lr` (further columns are
// ignored); a train_loss of nan/inf/null/empty reads as NaN so a diverged run still plots. The
// trainer ends every row with "\n": with `tolerateCutLastLine`, a last row without one (a run
// stopped while writing it) is left out and described instead of read, since a number cut short
// may still parse.

import Core
import Foundation
import NN

enum StepsReader {
    static let header = ["step", "epoch", "train_loss", "lr"]

    static func read(path: String) throws -> [StepRow] { try read(path: path, tolerateCutLastLine: false).rows }

    static func read(path: String, tolerateCutLastLine: Bool) throws -> (rows: [StepRow], skipped: String?) {
        guard let data = FileManager.default.contents(atPath: path) else { throw InputError("\(path): cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw InputError("\(path): not UTF-8 text") }
        var rows: [StepRow] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var skipped: String?
        if tolerateCutLastLine, !text.hasSuffix("\n"), lines.count > 1 {
            skipped = "\(path):\(lines.count): last row cut short (no newline; the run was stopped while writing it?), left out"
            lines.removeLast()
        }
        for (i, line) in lines.enumerated() {
            let fields = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            if fields == [""] { continue }
            let at = "\(path):\(i + 1)"
            if i == 0 {
                guard Array(fields.prefix(4)) == header else {
                    throw InputError("\(at): header expected '\(header.joined(separator: ","))', got '\(line)'")
                }
                continue
            }
            guard fields.count >= 4, let step = Int(fields[0]), let epoch = Int(fields[1]),
                  let loss = number(fields[2]), let lr = number(fields[3]) else {
                throw InputError("\(at): expected 'step,epoch,train_loss,lr' (integer, integer, number, number), got '\(line)'")
            }
            rows.append(StepRow(step: step, epoch: epoch, trainLoss: loss, lr: lr))
        }
        return (rows, skipped)
    }

    private static func number(_ s: String) -> Double? {
        switch s.lowercased() {
        case "", "nan", "-nan", "null", "inf", "+inf", "-inf", "infinity", "-infinity": return .nan
        default: return Double(s)
        }
    }
}
