// Report.build on damaged folders (issue 19, "Bad input"): a folder with no runs is an InputError
// naming the run-like subfolders it passed over; a run killed while writing (metrics.jsonl or
// steps.csv cut mid-line) is reported from the epochs it has, with what was left out named one
// line each (onSkip) and in report.html and summary.md; a run that cannot be read at all is left
// out while the others are reported.

import Core
import Foundation
import Reports
import TestSupport
import XCTest

final class ReportBadInputTests: XCTestCase {
    func testFolderWithNoRunsIsBadInputNamingWhatItSkipped() throws {
        let root = try scratchDirectory(self)
        try FileManager.default.createDirectory(atPath: root + "/crashed-variant", withIntermediateDirectories: true)
        try "".write(toFile: root + "/crashed-variant/steps.csv", atomically: true, encoding: .utf8)
        // a folder of pictures beside the runs is not a run: passed over without a word
        try FileManager.default.createDirectory(atPath: root + "/png", withIntermediateDirectories: true)
        try "x".write(toFile: root + "/png/report.png", atomically: true, encoding: .utf8)
        var skipped: [String] = []
        assertInputError([root, "no usable run"]) { _ = try Report.build(folder: root) { skipped.append($0) } }
        XCTAssertEqual(skipped, [root + "/crashed-variant: no metrics.jsonl (a run that never finished an epoch?), left out"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/report.html"))
        let empty = try scratchDirectory(self)
        assertInputError([empty, "no usable run"]) { _ = try Report.build(folder: empty) }
    }

    func testRunKilledWhileWritingIsReportedFromItsCompleteEpochs() throws {
        let root = try scratchDirectory(self) + "/sweep"
        try writeSyntheticRun(folder: root + "/good", seed: 0)
        let cut = root + "/killed"
        try writeSyntheticRun(folder: cut, seed: 1)
        let metrics = try String(contentsOfFile: cut + "/metrics.jsonl", encoding: .utf8)
        let lines = metrics.split(separator: "\n")
        try (lines[0] + "\n" + lines[1] + "\n" + lines[2].prefix(80)).write(toFile: cut + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let steps = try String(contentsOfFile: cut + "/steps.csv", encoding: .utf8)
        try String(steps.dropLast(4)).write(toFile: cut + "/steps.csv", atomically: true, encoding: .utf8)

        var skipped: [String] = []
        let written = try Report.build(folder: root) { skipped.append($0) }
        XCTAssertEqual(skipped.count, 2, "\(skipped)")
        XCTAssertTrue(skipped[0].hasPrefix(cut + "/metrics.jsonl:3: last line cut short"), skipped[0])
        XCTAssertTrue(skipped[0].contains("2 epochs before it read"), skipped[0])
        XCTAssertTrue(skipped[1].hasPrefix(cut + "/steps.csv:61: last row cut short"), skipped[1])

        let md = try String(contentsOfFile: root + "/summary.md", encoding: .utf8)
        XCTAssertTrue(md.contains("| killed | 2 |"), "the killed run reported at its last complete epoch\n\(md)")
        XCTAssertTrue(md.contains("| good | 3 |"))
        XCTAssertTrue(md.contains("## Left out while reading this folder\n\n- " + skipped[0] + "\n- " + skipped[1] + "\n"))
        let html = try String(contentsOfFile: root + "/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<li>" + skipped[0] + "</li>"))
        XCTAssertTrue(written.contains(root + "/loss.svg"))
        let run = try RunRecord.loadAll(folder: root) { _ in }.first { $0.name == "killed" }
        XCTAssertEqual(run?.epochs.map(\.epoch), [1, 2])
        XCTAssertEqual(run?.steps.count, 59, "the cut row 60 left out, 59 complete rows read")
        // read strictly (no onSkip), the same file is still an error naming the line
        assertInputError([cut + "/metrics.jsonl:3"]) { _ = try RunRecord.load(folder: cut) }
    }

    func testUnreadableRunAndArtefactAreLeftOutTheRestReported() throws {
        let root = try scratchDirectory(self) + "/sweep"
        try writeSyntheticRun(folder: root + "/good", seed: 0)
        try writeSyntheticRun(folder: root + "/broken", seed: 1)
        try "{\"epoch\": 1}\n".write(toFile: root + "/broken/metrics.jsonl", atomically: true, encoding: .utf8)
        try writeSyntheticRun(folder: root + "/no-epoch", seed: 1)
        try "{\"epoch\": 1, \"step\"".write(toFile: root + "/no-epoch/metrics.jsonl", atomically: true, encoding: .utf8)
        try "{\"classes\": 3".write(toFile: root + "/good/confusion.json", atomically: true, encoding: .utf8)

        var skipped: [String] = []
        try Report.build(folder: root) { skipped.append($0) }
        XCTAssertEqual(skipped.count, 4, "\(skipped)")
        XCTAssertTrue(skipped.contains { $0.hasPrefix(root + "/broken/metrics.jsonl:1:") && $0.hasSuffix("; run broken left out") }, "\(skipped)")
        XCTAssertTrue(skipped.contains { $0.hasPrefix(root + "/no-epoch/metrics.jsonl: no complete epoch") }, "\(skipped)")
        XCTAssertTrue(skipped.contains { $0.hasPrefix(root + "/no-epoch/metrics.jsonl:1: last line cut short") }, "\(skipped)")
        XCTAssertTrue(skipped.contains { $0.hasPrefix(root + "/good/confusion.json") && $0.hasSuffix("left out") }, "\(skipped)")
        let md = try String(contentsOfFile: root + "/summary.md", encoding: .utf8)
        XCTAssertTrue(md.contains("| good | 3 |") && !md.contains("| broken |") && !md.contains("| no-epoch |"), md)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/confusion-good.svg"))
    }
}
