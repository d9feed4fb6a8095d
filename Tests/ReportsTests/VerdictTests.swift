// Verdict.judge on hand-made epochs: each kind (learned, plateau at and above ln(classes),
// diverged by a non-finite loss and by a loss far above), the diagnostics reasons (dead ReLUs;
// a gradient below 1e-3 when the run did not learn), the number of classes, and the summary row
// that carries the verdict.

import Core
import Foundation
import Reports
import XCTest

final class VerdictTests: XCTestCase {
    /// One epoch as the trainer writes it (parsed from the metrics.jsonl keys), with `layers`
    /// as its diagnostics: (name, dead_fraction, grad_norm), nil for a metric the layer lacks.
    func epoch(_ n: Int, loss: Double, layers: [(String, Double?, Double?)] = []) throws -> EpochMetrics {
        var o: [String: Any] = ["epoch": n, "step": 100 * n, "world_size": 1, "lr": 0.1, "train_loss": loss,
                                "train_accuracy": 50.0, "test_loss": loss, "test_accuracy": 50.0, "test_top5": 90.0,
                                "epoch_seconds": 1.0, "images_per_sec": 100.0, "compute_seconds": 0.5, "comm_seconds": 0.1,
                                "data_seconds": 0.1, "rank_train_accuracy": [50.0]]
        if !loss.isFinite { o["train_loss"] = NSNull() }
        if !layers.isEmpty {
            o["diagnostics"] = ["batch": 64, "layers": layers.map { name, dead, grad -> [String: Any] in
                var l: [String: Any] = ["name": name]
                if let dead { l["dead_fraction"] = dead }
                if let grad { l["grad_norm"] = grad }
                return l
            }] as [String: Any]
        }
        return try EpochMetrics(o, at: "test")
    }

    let ln10 = log(10.0)

    func testLearnedBelowNinetyNinePercentOfLnClasses() throws {
        let v = try XCTUnwrap(Verdict.judge([epoch(1, loss: 1.2), epoch(2, loss: 0.99 * ln10 - 0.001)], classes: 10))
        XCTAssertEqual(v, Verdict(kind: .learned))
        XCTAssertEqual(v.text, "learned")
    }

    func testPlateauWithinOnePercentNamesLossAndLn() throws {
        let v = try XCTUnwrap(Verdict.judge([epoch(1, loss: 2.3042), epoch(3, loss: 2.3015)], classes: 10))
        XCTAssertEqual(v.kind, .plateau)
        XCTAssertEqual(v.reason, "loss 2.3015 ≈ ln 10 = 2.3026")
        // the last epoch decides: a first epoch at the plateau does not make a learned run a plateau
        XCTAssertEqual(try Verdict.judge([epoch(1, loss: 2.3), epoch(2, loss: 0.5)], classes: 10)?.kind, .learned)
    }

    func testPlateauAboveLnClassesButNotFarAbove() throws {
        let v = try XCTUnwrap(Verdict.judge([epoch(1, loss: 2.9)], classes: 10))
        XCTAssertEqual(v.kind, .plateau)
        XCTAssertEqual(v.reason, "loss 2.9000 > ln 10 = 2.3026")
    }

    func testDivergedWhenNotFiniteOrFarAbove() throws {
        let nan = try XCTUnwrap(Verdict.judge([epoch(1, loss: 1.0), epoch(2, loss: .nan), epoch(3, loss: 0.9)], classes: 10))
        XCTAssertEqual(nan, Verdict(kind: .diverged, reason: "train loss not finite at epoch 2"))
        let high = try XCTUnwrap(Verdict.judge([epoch(1, loss: 1.6 * ln10)], classes: 10))
        XCTAssertEqual(high.kind, .diverged)
        XCTAssertEqual(high.reason, "loss 3.6841 > 1.5 × ln 10 = 3.4539")
    }

    func testReasonsFromTheLastDiagnostics() throws {
        let layers: [(String, Double?, Double?)] = [("conv1", nil, 3e-7), ("relu1", 1.0, nil), ("relu2", 0.993, nil),
                                                    ("relu3", 0.5, nil), ("fc3", nil, 0.05)]
        let v = try XCTUnwrap(Verdict.judge([epoch(1, loss: 2.3019, layers: layers)], classes: 10))
        XCTAssertEqual(v.text, "plateau: dead ReLUs: relu1 100%, relu2 99% dead; conv1 gradient norm 3e-7; loss 2.3019 ≈ ln 10 = 2.3026")
        let allDead = try Verdict.judge([epoch(1, loss: 2.3, layers: [("relu1", 1, nil), ("relu2", 1, nil), ("conv1", nil, 0)])], classes: 10)
        XCTAssertEqual(allDead?.reason, "dead ReLUs: relu1, relu2 100% dead; conv1 gradient norm 0; loss 2.3000 ≈ ln 10 = 2.3026")
        // a learned run still names what is alarming; a healthy one names nothing
        XCTAssertEqual(try Verdict.judge([epoch(1, loss: 0.1, layers: [("relu4", 1, nil)])], classes: 10),
                       Verdict(kind: .learned, reason: "dead ReLUs: relu4 100% dead"))
        XCTAssertEqual(try Verdict.judge([epoch(1, loss: 0.1, layers: [("relu1", 0.98, nil), ("conv1", nil, 2e-5)])], classes: 10),
                       Verdict(kind: .learned), "a small gradient in a run that learned is no alarm")
        // sigmoid on the plateau: no dead ReLUs, conv1's gradient a thousand times smaller than a learning layer's
        XCTAssertEqual(try Verdict.judge([epoch(1, loss: 2.3032, layers: [("conv1", nil, 1.63e-4), ("fc3", nil, 0.08)])], classes: 10)?.reason,
                       "conv1 gradient norm 1.6e-4; loss 2.3032 ≈ ln 10 = 2.3026")
        XCTAssertEqual(try Verdict.judge([epoch(1, loss: 2.3032, layers: [("conv1", nil, 1.1e-3)])], classes: 10)?.reason,
                       "loss 2.3032 ≈ ln 10 = 2.3026", "1e-3 and above is not named")
        // the last epoch WITH diagnostics is the one read
        let later = try [epoch(1, loss: 2.3, layers: [("relu1", 1, nil)]), epoch(2, loss: 2.3)]
        XCTAssertEqual(Verdict.judge(later, classes: 10)?.reason, "dead ReLUs: relu1 100% dead; loss 2.3000 ≈ ln 10 = 2.3026")
    }

    func testClassesSetTheChanceLoss() throws {
        // ln 47 = 3.85: a loss of 2.30 has learned on 47 classes and would be a plateau on 10
        XCTAssertEqual(try Verdict.judge([epoch(1, loss: 2.30)], classes: 47)?.kind, .learned)
        XCTAssertEqual(try Verdict.judge([epoch(1, loss: 3.85)], classes: 47)?.reason, "loss 3.8500 ≈ ln 47 = 3.8501")
        XCTAssertNil(Verdict.judge([], classes: 10))
    }

    func testSummaryRowCarriesTheVerdictAndUsesTheConfusionClasses() throws {
        let dir = try scratchDirectory(self)
        let run = RunRecord(name: "r", folder: dir, epochs: [try epoch(1, loss: 2.30)], steps: [],
                            confusion: ConfusionRecord(classes: 47, matrix: Array(repeating: Array(repeating: 1, count: 47), count: 47)))
        XCTAssertEqual(RunSummary(run).verdict?.kind, .learned)
        var ten = run
        ten.confusion = nil                       // no confusion.json: 10 classes assumed
        XCTAssertEqual(RunSummary(ten).verdictText, "plateau: loss 2.3000 ≈ ln 10 = 2.3026")
        XCTAssertTrue(RunSummary.markdownTable([RunSummary(ten)]).contains("| plateau: loss 2.3000 ≈ ln 10 = 2.3026 |"))
        XCTAssertTrue(RunSummary.htmlTable([RunSummary(ten)]).contains("<td class=\"verdict plateau\"><b>plateau</b>: loss 2.3000"))
    }
}
