// Report.build turns a run folder, or an experiment folder of runs, into pictures written
// beside the data: one .svg per figure, report.html (all of them inline, self-contained) and
// summary.md (the per-variant table with verdicts, and most-confused classes). A damaged folder
// is reported as far as it can be read, with what was left out named in both pages. Photos
// annotated by `dtrain read-digits --annotate FOLDER/read-digits` are inlined in a section of
// their own.

import Core
import Foundation
import NN

public enum Report {
    /// Reads `folder` (see RunRecord.loadAll), writes the report files into it and returns their
    /// paths: every figure's .svg, then report.html, then summary.md. What reading leaves out (a
    /// run that cannot be read, a last line cut short, a damaged artefact) is passed to `onSkip`,
    /// one line each, and listed in report.html and summary.md; an InputError only when no run
    /// is usable.
    @discardableResult
    public static func build(folder: String, onSkip: @escaping (String) -> Void = { _ in }) throws -> [String] {
        var skipped: [String] = []
        let runs = try RunRecord.loadAll(folder: folder) { line in
            skipped.append(line)
            onSkip(line)
        }
        let name = URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
        let figures = CurveFigures.all(runs) + ImageFigures.all(runs) + TimelineFigures.all(runs)
            + (try ReadDigitsFigures.all(folder: folder))
        var written: [String] = []
        func write(_ text: String, _ file: String) throws {
            let path = folder + "/" + file
            do {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw InputError("\(path): cannot be written (\(error.localizedDescription))")
            }
            written.append(path)
        }
        for f in figures where !f.isOnDisk { try write(f.svg, f.file) }
        try write(HTMLPage.render(title: "dtrain report: \(name)", runs: runs, figures: figures, skipped: skipped), "report.html")
        try write(summaryMarkdown(name: name, runs: runs, skipped: skipped), "summary.md")
        return written
    }

    /// summary.md: the table of RunSummary rows, what reading left out, then each variant's most
    /// confused classes.
    public static func summaryMarkdown(name: String, runs: [RunRecord], skipped: [String] = []) -> String {
        var out = "# dtrain report: \(name)\n\n"
        out += "Final epoch of each variant; train seconds is the sum of epoch times, images/s the mean over epochs. "
            + Verdict.legend + "\n\n"
        out += RunSummary.markdownTable(runs.map(RunSummary.init))
        if !skipped.isEmpty {
            out += "\n## Left out while reading this folder\n\n" + skipped.map { "- " + $0 + "\n" }.joined()
        }
        let confused = runs.compactMap { r in r.confusion.map { (r.name, $0) } }
        if !confused.isEmpty { out += "\n## Most confused classes (true -> predicted)\n" }
        for (variant, c) in confused {
            out += "\n### \(variant)\n\n| true | predicted | count |\n|---|---|---:|\n"
            for (t, p, n) in c.mostConfused(5) { out += "| \(c.classLabels[t]) | \(c.classLabels[p]) | \(n) |\n" }
        }
        return out
    }
}
