// Fuzzing the run-config path (issue 4): thousands of seeded mutations (truncations, byte flips,
// deleted, duplicated and swapped lines, numbers replaced by extreme values) of the shipped run
// configs, with the model by path (resolved in a temp copy of configs/models) or inlined, and of
// `--set` overrides, go through ConfigValue.parse + RunConfig.parse. Each must either give a
// config or throw an InputError: never trap, never hang. A config that parses must also read back
// from its resolved YAML (what a checkpoint stores and --resume parses) to the same config. Before
// each call the input is on disk at <temp folder>/configs/run.yaml, so a crash leaves it behind (a
// normal end removes it).

import Core
import Foundation
import TestSupport
import NN
import Training
import XCTest

final class ConfigFuzzTests: XCTestCase {
    /// DTRAIN_FUZZ_SEED / DTRAIN_FUZZ_ITERATIONS explore further; the suite uses the fixed defaults.
    static let iterations = ProcessInfo.processInfo.environment["DTRAIN_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 3000
    static let seed = ProcessInfo.processInfo.environment["DTRAIN_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0xc0f1_9f22

    private static let configsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("configs").path

    private static let overrideKeys = ["train.lr", "train.batch_size", "train.epochs", "train.max_steps", "train.schedule",
                                       "train.momentum", "train.allreduce", "train.bucket_mb", "train.micro_batch",
                                       "checkpoint.every_steps", "checkpoint.keep", "seed", "data.validation",
                                       "data.normalize", "data.augment", "data.augment.scale", "data.augment.stroke", "model", "init", "output",
                                       "train", "train.lr.x", "diagnostics"]
    private static let overrideValues = ["0", "-1", "9223372036854775807", "99999999999999999999", "1e308", ".nan", "abc",
                                         "{step: {every: 0}}", "{step: {every: 3, gamma: -1}}", "[1, 2", "{", "null", "~",
                                         "exact", "models/missing.yaml", "{mean: 0, std: 0}", "he", "{weight: zeros}", "''", "\"x\ny\"",
                                         "[0.9, 1.1]", "[1.1, 0.9]", "{shift: 2, crop: {pad: 4}}"]

    func testMutatedRunConfigsParseOrThrowInputError() throws {
        let folder = NSTemporaryDirectory() + "dtrain-config-fuzz-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder + "/configs", withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }   // a crash skips this: the input stays
        try FileManager.default.copyItem(atPath: Self.configsFolder + "/models", toPath: folder + "/configs/models")
        let path = folder + "/configs/run.yaml"

        // the seeds: every shipped run config, and lenet5 with its model inlined (as a checkpoint keeps it)
        var seeds: [[UInt8]] = []
        for name in ["lenet5", "lab5", "mnist-alexnet", "lenet5-photo"] {
            let text = try String(contentsOfFile: Self.configsFolder + "/\(name).yaml", encoding: .utf8)
            seeds.append(Array(text.utf8))
            XCTAssertNoThrow(try RunConfig.parse(ConfigValue.parse(yaml: text, file: path), file: path), "\(name).yaml must parse")
        }
        seeds.append(Array(try RunConfig.load(path: Self.configsFolder + "/lenet5.yaml").resolvedYAML.utf8))

        let fd = open(path, O_WRONLY | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0, "cannot write \(path)")
        defer { close(fd) }
        var rng = SplitMix64(seed: Self.seed)
        var parsed = 0, refused = 0, withOverrides = 0
        let start = Date()
        for iteration in 0..<Self.iterations {
            let (bytes, how) = YAMLMutator.mutate(seeds[Int(rng.next() % UInt64(seeds.count))], &rng)
            // rewritten in place (pwrite + ftruncate): rewriting a file thousands of times with
            // O_TRUNC makes ext4 flush on every close
            XCTAssertEqual(bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }, bytes.count)
            XCTAssertEqual(ftruncate(fd, off_t(bytes.count)), 0)
            var overrides: [String] = []
            if rng.next() % 4 == 0 {
                for _ in 0..<(Int(rng.next() % 3) + 1) {
                    let key = Self.overrideKeys[Int(rng.next() % UInt64(Self.overrideKeys.count))]
                    let value = Self.overrideValues[Int(rng.next() % UInt64(Self.overrideValues.count))]
                    overrides.append(rng.next() % 8 == 0 ? key : "\(key)=\(value)")
                }
                withOverrides += 1
            }
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                var tree = try ConfigValue.parse(yaml: text, file: path)
                try RunConfig.applyOverrides(overrides, to: &tree)
                let config = try RunConfig.parse(tree, file: path)
                XCTAssertGreaterThan(config.train.batchSize, 0)
                XCTAssertFalse(config.model.layers.isEmpty)
                parsed += 1
                // what a checkpoint stores must read back (a --resume of this run) to the same config
                let saved = config.resolvedYAML
                do {
                    let again = try RunConfig.parse(ConfigValue.parse(yaml: saved, file: "saved"), file: "saved")
                    XCTAssertEqual(again.resolvedYAML, saved, "#\(iteration) (\(how)): the resolved YAML does not read back to itself")
                    XCTAssertEqual(again.train, config.train, "#\(iteration) (\(how)): train settings differ after the round trip")
                    XCTAssertEqual(again.data, config.data, "#\(iteration) (\(how)): data settings differ after the round trip")
                    XCTAssertEqual(again.model, config.model.withSource(again.model.source), "#\(iteration) (\(how)): model differs after the round trip")
                } catch {
                    XCTFail("#\(iteration) (\(how)), overrides \(overrides): the resolved YAML of a valid config is refused: \(error)\n--- saved ---\n\(saved)")
                }
            } catch let error as InputError {
                XCTAssertFalse(error.message.isEmpty)
                XCTAssertFalse(error.message.contains("\n"), "#\(iteration): message is not one line: \(error.message)")
                refused += 1
            } catch {
                XCTFail("#\(iteration) (\(how)), overrides \(overrides): not an InputError: \(error)\n--- input ---\n\(text)")
            }
            if Date().timeIntervalSince(start) > 60 {
                return XCTFail("hang guard: \(iteration + 1) mutations took over 60 s")
            }
        }
        print("config fuzz (seed \(Self.seed)): \(Self.iterations) mutations (\(withOverrides) with --set overrides) in "
              + String(format: "%.2f", Date().timeIntervalSince(start)) + " s: \(parsed) parsed, \(refused) refused")
        XCTAssertGreaterThan(parsed, 100, "too few mutations survived: the fuzz does not reach RunConfig.parse's checks")
        XCTAssertGreaterThan(refused, 500)
    }
}

private extension ModelSpec {
    func withSource(_ source: String) -> ModelSpec {
        var copy = self
        copy.source = source
        return copy
    }
}
