// Files recognised by content: `dtrain summary` takes a model spec, a run config or a checkpoint
// (ModelSource); a checkpoint given where a run config is expected, and a run config, model spec or
// other file given where a checkpoint is expected, is named as what it is — while a checkpoint cut
// short keeps its own message.

import Core
import Foundation
import NN
import TestSupport
import XCTest
import Training

final class WrongFileKindTests: XCTestCase {
    private var folder = ""
    private let lenet = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/configs"

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dtrain-kinds-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// A checkpoint of configs/lenet5.yaml's model (random weights) at FOLDER/run/latest.safetensors.
    private func checkpoint() throws -> (path: String, config: RunConfig) {
        let config = try RunConfig.load(path: lenet + "/lenet5.yaml")
        let network = Network(plan: try NetworkPlan(config.model))
        let metadata = CheckpointMetadata(config: config.resolvedYAML, epoch: 1, step: 10, seed: 42, worldSize: 1, batchSize: 8,
                                          globalBatch: 8, model: config.model.name, dtrainVersion: "test", valAccuracy: nil,
                                          bestValAccuracy: nil, allreduce: "flat", exactShift: 0, partialEpoch: nil)
        try FileManager.default.createDirectory(atPath: folder + "/run", withIntermediateDirectories: true)
        let path = folder + "/run/latest.safetensors"
        try Checkpoint.save(path: path, network: network, optimizer: nil, metadata: metadata.strings)
        return (path, config)
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testSummarySourcesGiveTheSameModel() throws {
        let spec = try ModelSpec.load(path: lenet + "/models/lenet5.yaml")
        let fromSpec = try ModelSource.load(path: lenet + "/models/lenet5.yaml")
        let fromConfig = try ModelSource.load(path: lenet + "/lenet5.yaml")
        let (path, _) = try checkpoint()
        let fromCheckpoint = try ModelSource.load(path: path)
        let fromFolder = try ModelSource.load(path: folder + "/run")
        XCTAssertEqual(fromSpec.source, .modelSpec)
        XCTAssertEqual(fromConfig.source, .runConfig)
        XCTAssertEqual(fromCheckpoint.source, .checkpoint)
        XCTAssertEqual(fromFolder.source, .checkpoint)
        for (what, loaded) in [("spec", fromSpec.spec), ("config", fromConfig.spec), ("checkpoint", fromCheckpoint.spec), ("folder", fromFolder.spec)] {
            XCTAssertEqual(loaded.layers, spec.layers, what)
            XCTAssertEqual(loaded.input, spec.input, what)
            XCTAssertEqual(try NetworkPlan(loaded).parameterCount, 61_706, what)
        }
    }

    func testSummaryRefusesWhatHoldsNoModel() throws {
        assertInputError(["experiment file"]) { _ = try ModelSource.load(path: lenet + "/experiments/init.yaml") }
        let list = try write("list.yaml", "- 1\n- 2\n")
        assertInputError([list, "not a map", "expected a model spec", "run config", "checkpoint"]) { _ = try ModelSource.load(path: list) }
        let binary = folder + "/binary.bin"
        try Data([0xff, 0xfe, 0x00, 0x81, 0x90, 0x12, 0x34, 0x56, 0x78, 0x9a]).write(to: URL(fileURLWithPath: binary))
        assertInputError([binary, "binary", "expected a model spec"]) { _ = try ModelSource.load(path: binary) }
        assertInputError([folder, "no checkpoint"]) { _ = try ModelSource.load(path: folder) }
    }

    func testRunConfigLoadNamesACheckpointAndASpec() throws {
        let (path, _) = try checkpoint()
        assertInputError([path, "is a safetensors checkpoint", "expected a run config", "--resume"]) { _ = try RunConfig.load(path: path) }
        assertInputError(["lenet5.yaml", "is a model spec", "not a run config"]) { _ = try RunConfig.load(path: lenet + "/models/lenet5.yaml") }
    }

    func testCheckpointReadersNameWhatTheyWereGiven() throws {
        assertInputError(["lenet5.yaml", "is a run config", "not a checkpoint"]) { _ = try SafeTensorsFile.open(path: lenet + "/lenet5.yaml") }
        assertInputError(["is a model spec", "not a checkpoint"]) { _ = try SafeTensorsFile.open(path: lenet + "/models/lenet5.yaml") }
        let notes = try write("notes.txt", "just some words\nand more of them\n")
        assertInputError([notes, "is text, not a checkpoint"]) { _ = try SafeTensorsFile.open(path: notes) }
        let binary = folder + "/binary.bin"
        try Data([0xff, 0xfe, 0xfd, 0x81, 0x90, 0x12, 0x34, 0x56, 0x78, 0x9a]).write(to: URL(fileURLWithPath: binary))
        assertInputError([binary, "not a safetensors checkpoint", "limit"]) { _ = try SafeTensorsFile.open(path: binary) }
        // cut inside its header: a checkpoint, said to be truncated, never "text"
        let (path, _) = try checkpoint()
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = folder + "/cut.safetensors"
        try whole.prefix(40).write(to: URL(fileURLWithPath: cut))
        assertInputError([cut, "truncated", "runs past the end"]) { _ = try SafeTensorsFile.open(path: cut) }
    }
}
