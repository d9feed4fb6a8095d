// Reading run folders: typed values from metrics.jsonl and steps.csv, nulls, diagnostics,
// experiment detection, the JSON artefacts' round trip, and InputErrors that name the file
// and line for malformed input.

import Core
import Foundation
import NN
import Reports
import TestSupport
import XCTest

final class RunRecordTests: XCTestCase {
    func testLoadsTypedValues() throws {
        let dir = try scratchDirectory(self) + "/base"
        let written = try writeSyntheticRun(folder: dir, seed: 0, validationGap: true)
        let run = try RunRecord.load(folder: dir)
        XCTAssertEqual(run.name, "base")
        XCTAssertEqual(run.epochs.count, 3)
        XCTAssertEqual(run.steps.count, 60)
        XCTAssertEqual(run.steps[20], StepRow(step: 21, epoch: 2, trainLoss: run.steps[20].trainLoss, lr: 0.05))
        for (e, w) in zip(run.epochs, written) {
            XCTAssertEqual(e.epoch, w.epoch)
            XCTAssertEqual(e.step, w.step)
            XCTAssertEqual(e.worldSize, 2)
            XCTAssertEqual(e.trainLoss, w.trainLoss)
            XCTAssertEqual(e.valLoss, w.valLoss)
            XCTAssertEqual(e.valAccuracy, w.valAccuracy)
            XCTAssertEqual(e.testTop5, w.testTop5)
            XCTAssertEqual(e.imagesPerSec, w.imagesPerSec)
            XCTAssertEqual(e.rankTrainAccuracy, [w.trainAccuracy - 0.5, w.trainAccuracy + 0.5])
            XCTAssertEqual(e.evalSeconds, 0.25)
        }
        XCTAssertNil(run.epochs[1].valLoss, "null val_loss reads as nil")
        XCTAssertEqual(run.epochs[0].diagnostics.map(\.name), ["conv1", "fc1"])
        XCTAssertEqual(run.epochs[0].diagnostics[0]["dead_fraction"], 0.1)
        XCTAssertTrue(run.epochs[0].diagnostics[1]["grad_norm"]!.isNaN, "null diagnostic reads as NaN")
        XCTAssertEqual(run.confusion?.classes, 10)
        XCTAssertEqual(run.filters?.images.count, 6)
        XCTAssertNil(run.features)
    }

    func testNullNumbersReadAsNaNAndStepsAcceptNaN() throws {
        let dir = try scratchDirectory(self)
        var line = SyntheticEpoch(epoch: 1, step: 5, worldSize: 1, lr: 0.1, trainLoss: 1, trainAccuracy: 50, valLoss: nil,
                                  valAccuracy: nil, testLoss: 1, testAccuracy: 50, testTop5: 90, epochSeconds: 1,
                                  imagesPerSec: 10, compute: 1, comm: 0, data: 0, diagnostics: false).jsonLine
        line = line.replacingOccurrences(of: "\"train_loss\": 1.0", with: "\"train_loss\": null")
        try (line + "\n\n").write(toFile: dir + "/metrics.jsonl", atomically: true, encoding: .utf8)
        try "step,epoch,train_loss,lr\n1,1,2.5,0.1\n2,1,nan,0.1\n\n".write(toFile: dir + "/steps.csv", atomically: true, encoding: .utf8)
        let run = try RunRecord.load(folder: dir)
        XCTAssertTrue(run.epochs[0].trainLoss.isNaN)
        XCTAssertNil(run.epochs[0].valAccuracy)
        XCTAssertEqual(run.steps.count, 2)
        XCTAssertTrue(run.steps[1].trainLoss.isNaN)
    }

    func testMalformedMetricsLineNamesFileAndLine() throws {
        let dir = try scratchDirectory(self)
        try writeSyntheticRun(folder: dir, seed: 0, extras: false)
        let path = dir + "/metrics.jsonl"
        let good = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        try (good[0] + "\n{\"epoch\": 2, \"step\": oops\n").write(toFile: path, atomically: true, encoding: .utf8)
        assertInputError([path + ":2", "not a JSON object"]) { _ = try RunRecord.load(folder: dir) }

        try good[0].replacingOccurrences(of: "\"test_top5\"", with: "\"top5\"").write(toFile: path, atomically: true, encoding: .utf8)
        assertInputError([path + ":1", "test_top5"]) { _ = try RunRecord.load(folder: dir) }

        try good[0].replacingOccurrences(of: "\"lr\": 0.05", with: "\"lr\": \"fast\"").write(toFile: path, atomically: true, encoding: .utf8)
        assertInputError([path + ":1", "'lr'"]) { _ = try RunRecord.load(folder: dir) }

        try "[1, 2]\n".write(toFile: path, atomically: true, encoding: .utf8)
        assertInputError([path + ":1"]) { _ = try RunRecord.load(folder: dir) }
    }

    func testMalformedStepsRowNamesFileAndLine() throws {
        let dir = try scratchDirectory(self)
        try writeSyntheticRun(folder: dir, seed: 0, extras: false)
        let path = dir + "/steps.csv"
        try "step,epoch,train_loss,lr\n1,1,2.3,0.1\n2,x,2.2,0.1\n".write(toFile: path, atomically: true, encoding: .utf8)
        assertInputError([path + ":3"]) { _ = try RunRecord.load(folder: dir) }
        try "loss,lr\n".write(toFile: path, atomically: true, encoding: .utf8)
        assertInputError([path + ":1", "header"]) { _ = try RunRecord.load(folder: dir) }
    }

    func testExperimentFolderDetection() throws {
        let root = try scratchDirectory(self)
        for name in ["np16", "np2", "np4"] { try writeSyntheticRun(folder: root + "/" + name, seed: 1, extras: false) }
        try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
        XCTAssertEqual(try RunRecord.loadAll(folder: root).map(\.name), ["np2", "np4", "np16"])
        XCTAssertEqual(try RunRecord.loadAll(folder: root + "/np4").map(\.name), ["np4"])
        assertInputError([root + "/logs", "metrics.jsonl"]) { _ = try RunRecord.loadAll(folder: root + "/logs") }
        assertInputError([root + "/logs/metrics.jsonl"]) { _ = try RunRecord.load(folder: root + "/logs") }
    }

    func testArtefactRecordsRoundTripAndValidate() throws {
        let dir = try scratchDirectory(self)
        let c = ConfusionRecord(classes: 3, truth: [0, 0, 1, 2, 2, 2, 1], predicted: [0, 1, 1, 2, 0, 0, 1], labels: ["cat", "dog", "emu"])
        XCTAssertEqual(c.matrix, [[1, 1, 0], [0, 2, 0], [2, 0, 1]])
        XCTAssertEqual(c.mostConfused(5).map { [$0.truth, $0.predicted, $0.count] }, [[2, 0, 2], [0, 1, 1]])
        try c.write(to: dir + "/confusion.json")
        XCTAssertEqual(try ConfusionRecord.load(path: dir + "/confusion.json"), c)

        let g = ImageGridRecord(layer: "conv1", images: [.init(width: 2, height: 1, values: [0.5, -0.25])])
        try g.write(to: dir + "/filters.json")
        XCTAssertEqual(try ImageGridRecord.load(path: dir + "/filters.json"), g)
        let json = try String(contentsOfFile: dir + "/filters.json", encoding: .utf8)
        XCTAssertTrue(json.contains("\"layer\":\"conv1\"") && json.contains("\"width\":2"))

        try "{\"classes\": 2, \"matrix\": [[1, 2], [3]]}".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        assertInputError([dir + "/bad.json", "matrix"]) { _ = try ConfusionRecord.load(path: dir + "/bad.json") }
        try "{\"layer\": \"conv1\", \"images\": [{\"width\": 2, \"height\": 2, \"values\": [1]}]}".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        assertInputError([dir + "/bad.json", "images[0]"]) { _ = try ImageGridRecord.load(path: dir + "/bad.json") }
        try "{\"layer\": \"conv1\"}".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        assertInputError([dir + "/bad.json", "images"]) { _ = try ImageGridRecord.load(path: dir + "/bad.json") }
    }
}
