// `dtrain report` on damaged folders (issue 19, "Bad input"), as a user runs it: a run killed while
// writing metrics.jsonl is reported from its complete epochs, exit 0, with one "skipped: ..." line
// on stderr naming the file and line; a folder with no usable run exits 2 with one "error: ..."
// line after a "skipped: ..." line for each subfolder it passed over.

import Foundation
import XCTest

final class ReportCommandTests: XCTestCase {
    /// One metrics.jsonl line with every key DESIGN.md "Metrics" requires.
    private func epochLine(_ epoch: Int, loss: Double) -> String {
        "{\"epoch\": \(epoch), \"step\": \(10 * epoch), \"world_size\": 1, \"lr\": 0.1, \"train_loss\": \(loss), "
            + "\"train_accuracy\": 60, \"val_loss\": null, \"val_accuracy\": null, \"test_loss\": \(loss), \"test_accuracy\": 61, "
            + "\"test_top5\": 95, \"epoch_seconds\": 1.5, \"images_per_sec\": 400, \"compute_seconds\": 1, \"comm_seconds\": 0.2, "
            + "\"data_seconds\": 0.1, \"rank_train_accuracy\": [60]}"
    }

    func testKilledRunIsReportedAndNamed() throws {
        let root = try makeTempFolder("report-cut")
        for name in ["good", "killed"] { try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true) }
        try (epochLine(1, loss: 1.0) + "\n" + epochLine(2, loss: 0.5) + "\n").write(toFile: root + "/good/metrics.jsonl", atomically: true, encoding: .utf8)
        try (epochLine(1, loss: 2.3) + "\n" + epochLine(2, loss: 2.3).prefix(50)).write(toFile: root + "/killed/metrics.jsonl", atomically: true, encoding: .utf8)

        let r = try dtrain(["report", root], timeout: 60)
        assertSucceeded(r, "dtrain report on a folder with a killed run")
        XCTAssertEqual(r.stderrLines.count, 1, "one line per skipped thing\n\(r)")
        XCTAssertTrue(r.stderr.hasPrefix("skipped: \(root)/killed/metrics.jsonl:2: last line cut short"), "\(r)")
        let md = try String(contentsOfFile: root + "/summary.md", encoding: .utf8)
        XCTAssertTrue(md.contains("| good | 2 |") && md.contains("| killed | 1 |"), md)
        XCTAssertTrue(md.contains("| plateau: loss 2.3000 ≈ ln 10 = 2.3026 |"), md)
        XCTAssertTrue(try String(contentsOfFile: root + "/report.html", encoding: .utf8).contains("killed/metrics.jsonl:2: last line cut short"))
    }

    func testFolderWithNoUsableRunExitsTwo() throws {
        let root = try makeTempFolder("report-none")
        try FileManager.default.createDirectory(atPath: root + "/never-started", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/cut", withIntermediateDirectories: true)
        try String(epochLine(1, loss: 2.3).prefix(40)).write(toFile: root + "/cut/metrics.jsonl", atomically: true, encoding: .utf8)

        let r = try dtrain(["report", root], timeout: 60)
        XCTAssertEqual(r.status, 2, "nothing usable: bad input\n\(r)")
        let lines = r.stderrLines.map(String.init)
        XCTAssertEqual(lines.count, 4, "\(r)")
        XCTAssertTrue(lines[0].hasPrefix("skipped: \(root)/cut/metrics.jsonl:1: last line cut short"), "\(r)")
        XCTAssertTrue(lines[1].hasPrefix("skipped: \(root)/cut/metrics.jsonl: no complete epoch"), "\(r)")
        XCTAssertTrue(lines[2].hasPrefix("skipped: \(root)/never-started: no metrics.jsonl"), "\(r)")
        XCTAssertTrue(lines[3].hasPrefix("error: \(root): no usable run"), "\(r)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/report.html"))
    }
}
