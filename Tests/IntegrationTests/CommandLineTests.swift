// What a newcomer meets first (issue 17), through the built binary: the end-of-run per-epoch table
// and a resumed complete run; `eval --split/--limit` (the validation split scored exactly as
// training held it out) and its bad values; `summary` of a spec, a run config, a checkpoint and a
// run folder; files of the wrong kind named; `--version`; "did you mean" for commands and keys.
// One small training run (small MNIST, 1 rank, 2 epochs, the first without evaluation) is shared.

import Core
import Foundation
import XCTest
import Training

final class CommandLineTests: XCTestCase {
    struct Stage { var folder: String, run: String, output: RunResult }
    nonisolated(unsafe) private static var staged: Stage?

    override class func tearDown() {
        if let staged, ProcessInfo.processInfo.environment["DTRAIN_KEEP_TEST_OUTPUT"] == nil {
            try? FileManager.default.removeItem(atPath: staged.folder)
        }
        staged = nil
        super.tearDown()
    }

    private static func trainArguments(data: String, output: String) -> [String] {
        ["train", "--config", lenetConfig]
            + sets(["train.epochs": 2, "train.eval_every": 2, "data.path": data, "data.validation": SmallMNIST.validation,
                    "train.batch_size": 32, "output": output])
    }

    private func stage() throws -> Stage {
        if let staged = Self.staged { return staged }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-it-cli-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let r = try dtrain(Self.trainArguments(data: try SmallMNIST.folder(), output: folder + "/run"))
        assertSucceeded(r, "staging run")
        guard r.status == 0 else { throw SupportError("staging run failed") }
        let s = Stage(folder: folder, run: folder + "/run", output: r)
        Self.staged = s
        return s
    }

    /// Exit 2 with exactly one "error: ..." line containing every string of `parts`.
    private func assertBadInput(_ r: RunResult, _ parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 2, "expected exit 2\n\(r)", file: file, line: line)
        XCTAssertEqual(r.stderrLines.count, 1, "expected ONE stderr line\n\(r)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: "), "\(r)", file: file, line: line)
        for p in parts { XCTAssertTrue(r.stderr.contains(p), "stderr does not contain '\(p)'\n\(r)", file: file, line: line) }
    }

    // MARK: training output

    func testEndOfRunTableHasEveryEpochAndDashesForUnevaluatedOnes() throws {
        let s = try stage()
        let lines = s.output.stdout.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("epoch  train loss") }, "no table\n\(s.output)")
        XCTAssertEqual(lines[header], "epoch  train loss  val loss  val acc  test acc  img/s  seconds")
        let rows = lines[(header + 1)...].map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(rows.map { $0.first }, ["1", "2"], "one row per epoch\n\(s.output.stdout)")
        XCTAssertEqual(Array(rows[0][2...4]), ["-", "-", "-"], "epoch 1 was not evaluated (train.eval_every 2)")
        // epoch 2's row carries metrics.jsonl's numbers as printed
        let last = try XCTUnwrap(try readMetrics(s.run).last)
        XCTAssertEqual(rows[1][1], String(format: "%.4f", try XCTUnwrap(number(last, "train_loss"))))
        XCTAssertEqual(rows[1][3], String(format: "%.2f%%", try XCTUnwrap(number(last, "val_accuracy"))))
        XCTAssertEqual(rows[1][4], String(format: "%.2f%%", try XCTUnwrap(number(last, "test_accuracy"))))
    }

    func testQuietPrintsNoTable() throws {
        let folder = try makeTempFolder("cli-quiet")
        let r = try dtrain(Self.trainArguments(data: try SmallMNIST.folder(), output: folder + "/run") + ["--quiet"])
        assertSucceeded(r, "quiet run")
        XCTAssertEqual(r.stdout, "", "--quiet printed something")
    }

    func testResumingACompleteRunSaysSoAndExitsZero() throws {
        let s = try stage()
        let before = try String(contentsOfFile: s.run + "/metrics.jsonl", encoding: .utf8)
        let r = try dtrain(["train", "--resume", s.run])
        assertSucceeded(r, "resume of a complete run")
        XCTAssertTrue(r.stdout.contains("already complete"), r.stdout)
        XCTAssertFalse(r.stdout.lowercased().contains("nan"), r.stdout)
        XCTAssertFalse(r.stdout.contains("epoch 1/"), "trained again\n\(r.stdout)")
        XCTAssertTrue(r.stdout.contains("epoch  train loss"), "no table of the finished run\n\(r.stdout)")
        XCTAssertEqual(try String(contentsOfFile: s.run + "/metrics.jsonl", encoding: .utf8), before, "metrics.jsonl changed")
    }

    // MARK: eval

    func testEvalSplitsAndLimit() throws {
        let s = try stage()
        let last = try XCTUnwrap(try readMetrics(s.run).last)
        let latest = s.run + "/latest.safetensors"
        func eval(_ extra: [String]) throws -> [String: Any] {
            let r = try dtrain(["eval", "--checkpoint", latest, "--json"] + extra)
            assertSucceeded(r, "eval \(extra)")
            return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        }
        let validation = try eval(["--split", "validation"])
        XCTAssertEqual(validation["split"] as? String, "validation")
        XCTAssertEqual(number(validation, "count"), Double(SmallMNIST.validation))
        // the held-out tail, scored as training scored it at its last epoch
        XCTAssertEqual(try XCTUnwrap(number(validation, "val_accuracy")), try XCTUnwrap(number(last, "val_accuracy")), accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(number(validation, "val_loss")), try XCTUnwrap(number(last, "val_loss")), accuracy: 1e-4)
        let test = try eval([])
        XCTAssertEqual(number(test, "count"), Double(SmallMNIST.testCount))
        XCTAssertEqual(try XCTUnwrap(number(test, "test_accuracy")), try XCTUnwrap(number(last, "test_accuracy")), accuracy: 1e-9)
        let train = try eval(["--split", "train"])
        XCTAssertEqual(number(train, "count"), Double(SmallMNIST.trainCount - SmallMNIST.validation))
        XCTAssertNotNil(number(train, "train_accuracy"))
        let limited = try eval(["--split", "validation", "--limit", "100"])
        XCTAssertEqual(number(limited, "count"), 100)
        XCTAssertEqual(number(limited, "split_size"), Double(SmallMNIST.validation))
        let confusion = try XCTUnwrap(limited["confusion"] as? [[Int]])
        XCTAssertEqual(confusion.joined().reduce(0, +), 100, "the confusion matrix counts the 100 images")
        let text = try dtrain(["eval", "--checkpoint", latest, "--limit", "100"])
        XCTAssertTrue(text.stdout.contains("first 100 of \(SmallMNIST.testCount) test images"), text.stdout)
    }

    func testEvalBadInput() throws {
        let s = try stage()
        assertBadInput(try dtrain(["eval", "--checkpoint", s.run, "--split", "holdout"]), ["--split", "holdout"])
        assertBadInput(try dtrain(["eval", "--checkpoint", s.run, "--limit", "0"]), ["--limit 0", "positive"])
        assertBadInput(try dtrain(["eval", "--checkpoint", s.run, "--limit", "x"]), ["--limit"])
        assertBadInput(try dtrain(["eval", "--checkpoint", lenetConfig]), ["lenet5.yaml", "is a run config", "not a checkpoint"])
        let empty = try makeTempFolder("cli-empty")
        let r = try dtrain(["eval", "--checkpoint", empty])
        assertBadInput(r, [empty, "no checkpoint"])
        XCTAssertFalse(r.stderr.contains("resum"), "talks about resuming\n\(r)")
    }

    // MARK: summary

    func testSummaryOfSpecConfigCheckpointAndFolderAgree() throws {
        let s = try stage()
        func total(_ file: String) throws -> Double? {
            let r = try dtrain(["summary", file, "--json"])
            assertSucceeded(r, "summary \(file)")
            let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            return o.flatMap { number($0, "total_params") }
        }
        let spec = try total(packageRoot + "/configs/models/lenet5.yaml")
        XCTAssertEqual(spec, 61_706)
        XCTAssertEqual(try total(lenetConfig), spec)
        XCTAssertEqual(try total(s.run + "/best.safetensors"), spec)
        XCTAssertEqual(try total(s.run), spec)
        let binary = try makeTempFolder("cli-bin") + "/data.bin"
        try Data((0..<64).map { UInt8(255 - $0) }).write(to: URL(fileURLWithPath: binary))
        assertBadInput(try dtrain(["summary", binary]), [binary, "expected a model spec", "run config", "checkpoint"])
        assertBadInput(try dtrain(["train", "--config", s.run + "/latest.safetensors"]),
                       ["latest.safetensors", "is a safetensors checkpoint", "expected a run config"])
        assertBadInput(try dtrain(["train", "--config", packageRoot + "/configs/models/lenet5.yaml"]),
                       ["is a model spec", "not a run config"])
    }

    // MARK: version and suggestions

    func testVersionAndDidYouMean() throws {
        let v = try dtrain(["--version"])
        assertSucceeded(v, "--version")
        XCTAssertEqual(v.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "dtrain \(dtrainVersion)")
        assertBadInput(try dtrain(["trian"]), ["unknown command 'trian'", "did you mean 'train'?"])
        let far = try dtrain(["frobnicate"])
        assertBadInput(far, ["unknown command 'frobnicate'", "commands: train"])
        XCTAssertFalse(far.stderr.contains("did you mean"), far.stderr)
        assertBadInput(try dtrain(["train", "--config", lenetConfig, "--set", "train.epohcs=1"]), ["train.epohcs", "did you mean 'epochs'?"])
        assertBadInput(try dtrain(["train", "--config", lenetConfig, "--set", "trian.lr=1"]), ["did you mean 'train'?"])
        XCTAssertEqual(try dtrain(["help"]).status, 0, "'dtrain help' is still a command")
    }
}
