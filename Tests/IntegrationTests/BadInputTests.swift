// Failures end to end (issue 3): bad input exits 2 with one stderr line naming the file or key, as
// a plain process and under mpirun -np 2 (where the failing rank must take the job down, never
// leave it hanging); a diverging run exits 3 and leaves earlier checkpoints intact; an output
// folder that cannot be created is refused before training starts.

import Core
import Foundation
import XCTest
import Training

final class BadInputTests: XCTestCase {
    /// Bad input must fail fast; a hang is what these tests exist to catch.
    private let timeout: TimeInterval = 60

    /// Runs `dtrain train args` plainly and under mpirun -np 2. Both must exit 2 within the timeout
    /// with stderr naming every string of `names`; the plain run's stderr is exactly one
    /// "error: ..." line (under mpirun, Open MPI adds its own MPI_Abort banner).
    private func expectBadInput(_ what: String, _ args: [String], naming names: [String],
                                file: StaticString = #filePath, line: UInt = #line) throws {
        for ranks in [nil, 2] as [Int?] {
            let how = ranks == nil ? "plain" : "mpirun -np 2"
            let r = try dtrain(["train"] + args, ranks: ranks, timeout: timeout)
            XCTAssertFalse(r.timedOut, "\(what) (\(how)): hung\n\(r)", file: file, line: line)
            XCTAssertEqual(r.status, 2, "\(what) (\(how)): expected exit 2 (bad input)\n\(r)", file: file, line: line)
            for name in names {
                XCTAssertTrue(r.stderr.contains(name), "\(what) (\(how)): stderr does not name '\(name)'\n\(r)",
                              file: file, line: line)
            }
            XCTAssertFalse(r.stdout.contains("epoch 1/"), "\(what) (\(how)): trained before failing\n\(r)", file: file, line: line)
            if ranks == nil {
                XCTAssertEqual(r.stderrLines.count, 1, "\(what): expected ONE stderr line\n\(r)", file: file, line: line)
                XCTAssertTrue(r.stderr.hasPrefix("error: "), "\(what): stderr should start with 'error: '\n\(r)",
                              file: file, line: line)
            }
        }
    }

    func testUnknownConfigKey() throws {
        let out = try makeTempFolder("bad")
        try expectBadInput("unknown key", ["--config", lenetConfig, "--set", "train.lrr=1", "--set", "output=\(out)/o"],
                           naming: ["configs/lenet5.yaml", "train.lrr"])
    }

    func testWrongValueType() throws {
        let out = try makeTempFolder("bad")
        try expectBadInput("wrong type", ["--config", lenetConfig, "--set", "train.lr=abc", "--set", "output=\(out)/o"],
                           naming: ["configs/lenet5.yaml", "train.lr", "abc"])
    }

    func testBadSetSyntax() throws {
        let out = try makeTempFolder("bad")
        try expectBadInput("--set without =", ["--config", lenetConfig, "--set", "train.lr", "--set", "output=\(out)/o"],
                           naming: ["--set train.lr", "KEY=VALUE"])
    }

    func testMissingDataFolder() throws {
        let out = try makeTempFolder("bad")
        try expectBadInput("missing data folder",
                           ["--config", lenetConfig, "--set", "data.path=/nonexistent", "--set", "output=\(out)/o"],
                           naming: ["/nonexistent"])
    }

    /// A copy of data/mnist whose training images .gz is cut in half.
    func testTruncatedGzip() throws {
        let tmp = try makeTempFolder("bad")
        let data = tmp + "/mnist"
        try FileManager.default.copyItem(atPath: mnistFolder, toPath: data)
        let images = data + "/train-images-idx3-ubyte.gz"
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: images))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: images))
        try expectBadInput("truncated .gz", ["--config", lenetConfig, "--set", "data.path=\(data)", "--set", "output=\(tmp)/o"],
                           naming: [images])
    }

    func testDataSmallerThanOneGlobalBatch() throws {
        let out = try makeTempFolder("bad")
        try expectBadInput("batch larger than the data",
                           ["--config", lenetConfig, "--set", "train.batch_size=70000", "--set", "output=\(out)/o"],
                           naming: ["train.batch_size", "data/mnist"])
    }

    /// An inline model spec with an unknown layer kind: the error names the run config, the layer
    /// and the kind.
    func testUnknownLayerKind() throws {
        let tmp = try makeTempFolder("bad")
        let config = tmp + "/unknown-layer.yaml"
        try """
            model:
              name: broken
              input: [1, 28, 28]
              layers:
                - conv: {out: 4, kernel: 3}
                - bogus
                - flatten
                - linear: {out: 10}
            data: {path: \(mnistFolder), validation: 1000}
            output: \(tmp)/o
            """.write(toFile: config, atomically: true, encoding: .utf8)
        try expectBadInput("unknown layer kind", ["--config", config], naming: [config, "bogus", "layers[1]"])
    }

    /// A model spec file (referenced from a run config) whose kernel exceeds its input.
    func testKernelLargerThanInput() throws {
        let tmp = try makeTempFolder("bad")
        let model = tmp + "/big-kernel.yaml"
        try """
            name: bigkernel
            input: [1, 28, 28]
            layers:
              - conv: {out: 4, kernel: 30}
              - flatten
              - linear: {out: 10}
            """.write(toFile: model, atomically: true, encoding: .utf8)
        let config = tmp + "/run.yaml"
        try """
            model: big-kernel.yaml
            data: {path: \(mnistFolder), validation: 1000}
            output: \(tmp)/o
            """.write(toFile: config, atomically: true, encoding: .utf8)
        try expectBadInput("kernel larger than input", ["--config", config], naming: ["big-kernel.yaml", "kernel"])
    }

    /// An output folder below a regular file cannot be created: exit 2 naming it, before training.
    func testUnwritableOutputFolder() throws {
        let tmp = try makeTempFolder("bad")
        let blocker = tmp + "/a-file"
        try "not a folder\n".write(toFile: blocker, atomically: true, encoding: .utf8)
        try expectBadInput("output under a file",
                           ["--config", lenetConfig, "--set", "output=\(blocker)/out", "--set", "train.max_steps=5",
                            "--set", "data.path=\(try SmallMNIST.folder())", "--set", "data.validation=512"],
                           naming: ["\(blocker)/out"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: blocker + "/out"))
    }

    /// lr 1e6 without momentum at np=2: the loss overflows within a few steps; the job exits 3 with
    /// "diverged" on stderr, and the per-step checkpoints written before that still open.
    func testDivergenceExitsThreeAndKeepsCheckpoints() throws {
        let tmp = try makeTempFolder("diverge")
        let r = try dtrain(["train", "--config", lenetConfig]
                           + sets(["train.lr": "1e6", "train.momentum": 0, "checkpoint.every_steps": 1, "checkpoint.keep": 10,
                                   "train.epochs": 1, "data.path": try SmallMNIST.folder(),
                                   "data.validation": SmallMNIST.validation, "output": tmp]),
                           ranks: 2, timeout: timeout)
        XCTAssertFalse(r.timedOut, "diverging run hung\n\(r)")
        XCTAssertEqual(r.status, 3, "expected exit 3 (diverged)\n\(r)")
        XCTAssertLessThan(r.seconds, timeout)
        XCTAssertTrue(r.stderr.contains("diverged"), "no 'diverged' on stderr\n\(r)")

        let names = try FileManager.default.contentsOfDirectory(atPath: tmp)
        let checkpoints = names.filter { $0.hasPrefix("checkpoint-step") && $0.hasSuffix(".safetensors") }.sorted()
        guard let firstCheckpoint = checkpoints.first else {
            return XCTFail("no per-step checkpoint before the divergence: \(names)")
        }
        XCTAssertFalse(names.contains { $0.contains(".tmp") }, "a temp file was left behind: \(names)")
        for name in checkpoints + ["latest.safetensors"] {
            let file = try SafeTensorsFile.open(path: "\(tmp)/\(name)")
            XCTAssertNotNil(file.metadata["step"].flatMap(Int.init), "\(name): no step metadata")
            XCTAssertEqual(file.metadata["world_size"], "2")
            for tensor in file.names { XCTAssertNoThrow(try file.floats(tensor), "\(name): \(tensor) unreadable") }
        }
        // the first step's update started from finite values: its checkpoint is all finite
        let first = try readTensors("\(tmp)/\(firstCheckpoint)")
        XCTAssertTrue(first.values.allSatisfy { $0.values.allSatisfy(\.isFinite) }, "\(firstCheckpoint) holds NaN/Inf")
    }
}
