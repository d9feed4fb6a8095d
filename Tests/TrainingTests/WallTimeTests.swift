// The wall time of each epoch split into named parts (metrics.jsonl's wall_seconds and its parts,
// Core's WallTimeParts), in the real Trainer at np=2 (ThreadCommunicator ranks) on
// InProcessTrainerTests' synthetic 8x8 set: the parts never add up to more than the epoch's wall
// time, and what they leave is a small share of it; every epoch wrote a checkpoint, so each has
// checkpoint seconds, and every_steps saves add to them; diagnostics seconds are 0 in an epoch
// without diagnostics or artifacts and positive where there were some. Plus WallTimeParts on rows
// of older files, which have no wall_seconds.

import Collective
import Core
import Foundation
import Training
import XCTest

final class WallTimeTests: XCTestCase {
    /// rank 0's metrics.jsonl rows of a 3-epoch run with `overrides`.
    private func rows(_ overrides: [String]) throws -> [EpochMetrics] {
        let config = try TinyRunConfig.make(for: self, train: "{epochs: 3, batch_size: 8, lr: 0.05, momentum: 0.9}",
                                            seed: 3, label: "wall-time", overrides: overrides)
        _ = try ThreadWorld.run(size: 2) { comm -> Int in
            let trainer = try Trainer(config: config, comm: comm, data: InProcessTrainerTests.data, quiet: true)
            trainer.initializeParameters()
            return try trainer.run().steps
        }
        return try EpochMetrics.read(path: config.output + "/metrics.jsonl")
    }

    private func assertAccounted(_ rows: [EpochMetrics], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(rows.map(\.epoch), [1, 2, 3], file: file, line: line)
        for row in rows {
            let wall = try XCTUnwrap(row.wallSeconds, "epoch \(row.epoch): no wall_seconds", file: file, line: line)
            let parts = WallTimeParts(row)
            XCTAssertEqual(parts.wall, wall, file: file, line: line)
            XCTAssertTrue(parts.seconds.allSatisfy { $0 >= 0 }, "epoch \(row.epoch): \(parts.seconds)", file: file, line: line)
            XCTAssertLessThanOrEqual(parts.accounted, wall + 1e-9, "epoch \(row.epoch): parts \(parts.seconds) exceed the wall time",
                                     file: file, line: line)
            XCTAssertLessThanOrEqual(row.epochSeconds, wall + 1e-9, "epoch \(row.epoch): training outlasts the epoch", file: file, line: line)
            XCTAssertGreaterThan(parts.seconds[0], 0, "epoch \(row.epoch): no compute time", file: file, line: line)
            XCTAssertGreaterThan(try XCTUnwrap(row.checkpointSeconds), 0, "epoch \(row.epoch) wrote a checkpoint", file: file, line: line)
            XCTAssertGreaterThan(try XCTUnwrap(row.evalSeconds), 0, "epoch \(row.epoch) was evaluated", file: file, line: line)
        }
        // a share, not a duration: the bookkeeping between the timed phases is small next to them
        // (about 5% here, where a step computes for microseconds). The median epoch's share, so
        // that one epoch preempted in its bookkeeping by a busy machine does not decide it.
        let shares = rows.map { WallTimeParts($0) }.map { $0.unaccounted / max($0.wall, 1e-12) }.sorted()
        XCTAssertLessThan(shares[shares.count / 2], 0.25, "unaccounted shares per epoch \(shares); parts \(WallTimeParts(summing: rows).seconds)",
                          file: file, line: line)
    }

    func testPartsAddUpToAtMostTheEpochAndDiagnosticsOnlyWhereThereWereSome() throws {
        let rows = try rows([])
        try assertAccounted(rows)
        // diagnostics: false; the last epoch still writes the confusion, filter and feature-map files
        XCTAssertEqual(rows.map { $0.diagnosticsSeconds == 0 }, [true, true, false], "\(rows.map(\.diagnosticsSeconds))")
        XCTAssertGreaterThan(rows[2].diagnosticsSeconds ?? 0, 0)
    }

    func testDiagnosticsAndMidEpochCheckpointsAreTheirOwnParts() throws {
        let rows = try rows(["diagnostics=true", "checkpoint.every_steps=5"])
        try assertAccounted(rows)
        for row in rows { XCTAssertGreaterThan(row.diagnosticsSeconds ?? 0, 0, "epoch \(row.epoch): diagnostics were measured") }
    }

    func testOlderRowsWithoutWallSecondsFallBackToWhatTheyTimed() throws {
        var row = EpochMetrics(epoch: 1, step: 10, worldSize: 2, lr: 0.01, trainLoss: 0.5, trainAccuracy: 90,
                               valLoss: nil, valAccuracy: nil, testLoss: 0.1, testAccuracy: 99, testTop5: 100,
                               epochSeconds: 10, imagesPerSec: 100, computeSeconds: 6, commSeconds: 1, dataSeconds: 0.5,
                               evalSeconds: 2, waitSeconds: 1.5, checkpointSeconds: 0.25, rankTrainAccuracy: [90, 90])
        var parts = WallTimeParts(row)
        XCTAssertEqual(parts.wall, 12.25)
        XCTAssertEqual(parts.seconds, [6, 1, 1.5, 0.5, 2, 0.25, 0])
        XCTAssertEqual(parts.unaccounted, 1, accuracy: 1e-12)

        row.diagnosticsSeconds = 0.75
        row.wallSeconds = 13
        row.waitSeconds = .nan
        parts = WallTimeParts(row)
        XCTAssertEqual(parts.wall, 13)
        XCTAssertEqual(parts.seconds[2], 0, "a null part counts 0")
        XCTAssertEqual(parts.unaccounted, 13 - 10.5, accuracy: 1e-12)

        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(row.jsonLine.utf8)) as? [String: Any])
        let back = try EpochMetrics(object, at: "row")
        XCTAssertEqual(back.wallSeconds, 13)
        XCTAssertEqual(back.diagnosticsSeconds, 0.75)
        XCTAssertNil(back.extra["wall_seconds"])

        let two = WallTimeParts(summing: [row, row])
        XCTAssertEqual(two.wall, 26)
        XCTAssertEqual(two.seconds[6], 1.5)
        row.wallSeconds = 1          // parts over the wall time: nothing unaccounted, never negative
        XCTAssertEqual(WallTimeParts(row).unaccounted, 0)
    }
}
