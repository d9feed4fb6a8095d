// The report's wall-time bar (ImageFigures.bars): one segment per named part of rank 0's wall
// time (WallTimeParts.names) and no "other" segment; the unaccounted remainder is a number in the
// subtitle; the bar's total is the sum of the parts; the one-row legend fits inside the figure.

import Core
import Foundation
import Reports
import XCTest

final class WallTimeBarTests: XCTestCase {
    /// A one-run folder of `epochs` rows, each with parts adding up to 12 s of a 12.5 s epoch.
    private func writeRun(epochs: Int) throws -> String {
        let folder = try scratchDirectory(self) + "/run"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let rows = (1...epochs).map { e in
            EpochMetrics(epoch: e, step: 10 * e, worldSize: 4, lr: 0.05, trainLoss: 0.5, trainAccuracy: 90,
                         valLoss: 0.4, valAccuracy: 91, testLoss: 0.4, testAccuracy: 91, testTop5: 99,
                         epochSeconds: 9.25, imagesPerSec: 1000, computeSeconds: 6, commSeconds: 1, dataSeconds: 0.5,
                         evalSeconds: 2, waitSeconds: 1.5, checkpointSeconds: 0.25, processSeconds: 13 * Double(e),
                         diagnosticsSeconds: 0.75, wallSeconds: 12.5, rankTrainAccuracy: [90, 90, 90, 90])
        }
        try (rows.map(\.jsonLine).joined(separator: "\n") + "\n").write(toFile: folder + "/metrics.jsonl", atomically: true, encoding: .utf8)
        try "step,epoch,train_loss,lr\n10,1,0.5,0.05\n20,2,0.4,0.05\n".write(toFile: folder + "/steps.csv", atomically: true, encoding: .utf8)
        return folder
    }

    /// Every <text>'s content, in document order.
    private func texts(_ svg: String) -> [String] {
        svg.components(separatedBy: "<text").dropFirst().compactMap { piece in
            guard let open = piece.firstIndex(of: ">"), let close = piece.range(of: "</text>") else { return nil }
            return String(piece[piece.index(after: open)..<close.lowerBound])
        }
    }

    func testBarShowsTheNamedPartsAndTheRemainderAsANumber() throws {
        let folder = try writeRun(epochs: 2)
        let written = try Report.build(folder: folder)
        let path = try XCTUnwrap(written.first { $0.hasSuffix("/wall_time.svg") })
        let svg = try String(contentsOfFile: path, encoding: .utf8)
        let labels = texts(svg)
        for name in WallTimeParts.names { XCTAssertTrue(labels.contains(name), "legend lacks \(name): \(labels)") }
        XCTAssertEqual(WallTimeParts.names, ["compute", "exchange", "waiting", "data", "evaluation", "checkpoints", "diagnostics"])
        XCTAssertFalse(labels.contains("other"), "no 'other' segment: \(labels)")
        XCTAssertTrue(labels.contains("unaccounted: 1.00 s (4.0%) of 25.0 s"), "\(labels)")
        XCTAssertTrue(labels.contains("24.0"), "the bar's total is the parts' sum, 2 x 12 s: \(labels)")
        // seven coloured legend squares and seven bar segments, each part's colour once in each,
        // none of them a variant's colour
        XCTAssertTrue(Set(Palette.phases.prefix(WallTimeParts.names.count)).isDisjoint(with: Palette.categorical))
        for i in WallTimeParts.names.indices {
            XCTAssertEqual(svg.components(separatedBy: "fill=\"\(Palette.phase(i))\"").count - 1, 2, "colour of \(WallTimeParts.names[i])")
        }
        // the legend's last entry ends inside the figure
        let width = try XCTUnwrap(svg.range(of: "width=\"").map { Double(svg[$0.upperBound...].prefix { $0 != "\"" }) ?? 0 })
        let last = try XCTUnwrap(svg.range(of: ">diagnostics</text>"))
        let tag = svg[..<last.lowerBound]
        let x = try XCTUnwrap(tag.range(of: "x=\"", options: .backwards).map { Double(tag[$0.upperBound...].prefix { $0 != "\"" }) })
        XCTAssertLessThan((x ?? .infinity) + 11 * 0.6 * Double("diagnostics".count), width, "legend overflows the figure")
    }
}
