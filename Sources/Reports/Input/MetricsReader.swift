// metrics.jsonl -> [EpochMetrics] for reports, which may read a run that is still being written or
// was killed while writing: the trainer ends every line with "\n", so a last line without one
// that does not parse was cut short. With `tolerateCutLastLine` that line is left out and
// described (the epochs before it are kept); every other problem is an InputError
// "<file>:<line>: <what>", as EpochMetrics.read reports it.

import Core
import Foundation

enum MetricsReader {
    static func read(path: String, tolerateCutLastLine: Bool) throws -> (rows: [EpochMetrics], skipped: String?) {
        guard let data = FileManager.default.contents(atPath: path) else { throw InputError("\(path): cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw InputError("\(path): not UTF-8 text") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let cutLine = text.hasSuffix("\n") ? nil : lines.count - 1      // index of an unterminated last line
        var rows: [EpochMetrics] = []
        for (i, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let at = "\(path):\(i + 1)"
            let parsed = try? JSONSerialization.jsonObject(with: Foundation.Data(trimmed.utf8), options: [.fragmentsAllowed])
            guard let object = parsed as? [String: Any] else {
                if tolerateCutLastLine, i == cutLine {
                    let kept = "\(rows.count) epoch\(rows.count == 1 ? "" : "s") before it read"
                    return (rows, "\(at): last line cut short (no newline; the run was stopped while writing it?), left out; " + kept)
                }
                throw InputError("\(at): not a JSON object (expected one JSON object per line, one line per epoch; "
                    + "see DESIGN.md \"Metrics\")")
            }
            rows.append(try EpochMetrics(object, at: at))
        }
        return (rows, nil)
    }
}
