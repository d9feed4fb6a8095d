// launch/speedrun: a tiny run (2 seeds of configs/speedrun.yaml at np=2, 5 steps on SmallMNIST)
// ends with the summary line and writes speedrun.json whose numbers are the runs' own
// metrics.jsonl (final test accuracies, the sum of epoch_seconds); its statistics by hand (mean,
// sample sd, medians, the line's format, where a job's time went); the PyTorch side on a tiny run
// when /usr/bin/python3 imports torch (skipped otherwise); bad arguments exit 2.

import Foundation
import XCTest

final class SpeedrunTests: XCTestCase {
    private let script = packageRoot + "/launch/speedrun"
    private let line = #"^speedrun: \d+\.\d\d% ± \d+\.\d\d over 2 seeds, training \d+\.\d\d s, job \d+\.\d\d s$"#

    private func speedrun(_ args: [String], out: String, data: String, timeout: TimeInterval = 240) throws -> RunResult {
        try runProcess(script, ["-np", "2", "--seeds", "2", "--first-seed", "3", "--out", out,
                                "--set", "data.path=\(data)", "--set", "train.max_steps=5"] + args,
                       env: ["DTRAIN": try dtrainBinary()], timeout: timeout)
    }

    /// Debian's /usr/bin/python3 (where python3-torch installs), else python3 on PATH.
    private func python(_ args: [String], timeout: TimeInterval = 60) throws -> RunResult {
        let interpreter = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : findInPath("python3")
        guard let interpreter else { throw XCTSkip("no python3") }
        return try runProcess(interpreter, args, timeout: timeout)
    }

    private func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], path)
    }

    func testTinyRunPrintsTheSummaryAndWritesTheRunsOwnNumbers() throws {
        let out = try makeTempFolder("speedrun")
        let r = try speedrun(["--torch-seeds", "0"], out: out, data: try SmallMNIST.folder())
        assertSucceeded(r, "launch/speedrun --seeds 2")
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertNotNil(last.range(of: line, options: .regularExpression), "last line: \(last)\n\(r)")

        let s = try json(out + "/speedrun.json")
        XCTAssertEqual(s["seeds"] as? Int, 2)
        XCTAssertEqual(s["seed_values"] as? [Int], [3, 4])
        let accuracies = try XCTUnwrap(s["accuracies"] as? [Double])
        let training = try XCTUnwrap(s["training_seconds_each"] as? [Double])
        let jobs = try XCTUnwrap(s["job_seconds_each"] as? [Double])
        for (i, seed) in [3, 4].enumerated() {
            let rows = try readMetrics(out + "/seed-\(seed)")
            XCTAssertEqual(rows.count, 1, "5 steps are one (cut) epoch")
            XCTAssertEqual(accuracies[i], try XCTUnwrap(number(rows[0], "test_accuracy")), accuracy: 1e-9)
            XCTAssertEqual(training[i], try XCTUnwrap(number(rows[0], "epoch_seconds")), accuracy: 1e-9)
            XCTAssertEqual(number(rows[0], "step"), 5)
            XCTAssertGreaterThan(jobs[i], training[i], "a job includes its training loop")
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/seed-\(seed)/latest.safetensors"))
        }
        let mean = (accuracies[0] + accuracies[1]) / 2
        XCTAssertEqual(s["mean_test_accuracy"] as? Double ?? -1, mean, accuracy: 1e-9)
        XCTAssertEqual(s["sd_test_accuracy"] as? Double ?? -1, abs(accuracies[0] - accuracies[1]) / 2.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(s["training_seconds"] as? Double ?? -1, (training[0] + training[1]) / 2, accuracy: 1e-9)
        XCTAssertEqual(s["job_seconds"] as? Double ?? -1, (jobs[0] + jobs[1]) / 2, accuracy: 1e-9)
        let overheads = try XCTUnwrap(s["overheads"] as? [String: Double])
        for key in ["startup_seconds", "exit_seconds", "eval_seconds", "checkpoint_seconds", "wait_seconds", "comm_seconds"] {
            XCTAssertNotNil(overheads[key], "overheads.\(key) missing: \(overheads)")
        }
        XCTAssertTrue(last.contains(String(format: "%.2f%% ± ", mean)), last)
        XCTAssertNil(s["torch_ratio"], "--torch-seeds 0 runs no PyTorch")
    }

    /// The statistics and the summary line from hand-made records (no training).
    func testStatisticsByHand() throws {
        let code = """
        import importlib.machinery, importlib.util, json, sys
        loader = importlib.machinery.SourceFileLoader("speedrun", sys.argv[1])
        m = importlib.util.module_from_spec(importlib.util.spec_from_loader("speedrun", loader))
        loader.exec_module(m)
        rows = [{"epoch": 1, "test_accuracy": None, "epoch_seconds": 1.0, "eval_seconds": 0.0, "checkpoint_seconds": 0.01,
                 "wait_seconds": 0.1, "comm_seconds": 0.2, "data_seconds": 0.05, "process_seconds": 1.5},
                {"epoch": 2, "test_accuracy": 99.0, "epoch_seconds": 1.25, "eval_seconds": 0.1, "checkpoint_seconds": 0.02,
                 "wait_seconds": 0.1, "comm_seconds": 0.2, "data_seconds": 0.05, "process_seconds": 2.9}]
        a = m.run_record(rows, job_seconds=3.5)
        b = m.run_record([dict(rows[1], test_accuracy=99.2, epoch_seconds=2.0, process_seconds=2.5)], job_seconds=3.0)
        c = m.run_record([dict(rows[1], test_accuracy=98.9, epoch_seconds=3.0, process_seconds=3.5)], job_seconds=4.5)
        s = m.summarise([a, b, c], [1, 2, 3])
        print(json.dumps({"a": a, "s": s, "line": m.summary_line(s)}))
        """
        let r = try python(["-c", code, script])
        XCTAssertEqual(r.status, 0, "python failed: \(r)")
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let a = try XCTUnwrap(o["a"] as? [String: Any]), parts = try XCTUnwrap(a["parts"] as? [String: Double])
        XCTAssertEqual(a["test_accuracy"] as? Double, 99.0, "the last row's accuracy")
        XCTAssertEqual(a["training_seconds"] as? Double ?? -1, 2.25, accuracy: 1e-12, "the sum of epoch_seconds")
        XCTAssertEqual(parts["eval_seconds"] ?? -1, 0.1, accuracy: 1e-12)
        XCTAssertEqual(parts["checkpoint_seconds"] ?? -1, 0.03, accuracy: 1e-12)
        // start-up: 2.9 - 2.25 - 0.1 - 0.03; exit: 3.5 - 2.9
        XCTAssertEqual(parts["startup_seconds"] ?? -1, 0.52, accuracy: 1e-12)
        XCTAssertEqual(parts["exit_seconds"] ?? -1, 0.6, accuracy: 1e-12)
        let s = try XCTUnwrap(o["s"] as? [String: Any])
        XCTAssertEqual(s["mean_test_accuracy"] as? Double ?? -1, 99.03333333333333, accuracy: 1e-9)
        // sample sd of 99.0, 99.2, 98.9: deviations -0.0333, 0.1667, -0.1333; squares sum 0.04667 / 2
        XCTAssertEqual(s["sd_test_accuracy"] as? Double ?? -1, (0.046666666666666 / 2).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(s["min_test_accuracy"] as? Double, 98.9)
        XCTAssertEqual(s["training_seconds"] as? Double ?? -1, 2.25, accuracy: 1e-12, "median of 2.25, 2, 3")
        XCTAssertEqual(s["job_seconds"] as? Double ?? -1, 3.5, accuracy: 1e-12, "median of 3.5, 3, 4.5")
        XCTAssertEqual(o["line"] as? String, "speedrun: 99.03% ± 0.15 over 3 seeds, training 2.25 s, job 3.50 s")
    }

    func testPyTorchSideOnATinyRun() throws {
        guard try python(["-c", "import torch, yaml"]).status == 0 else { throw XCTSkip("/usr/bin/python3 cannot import torch and yaml") }
        let out = try makeTempFolder("speedrun-torch")
        let r = try speedrun(["--torch-seeds", "1"], out: out, data: try SmallMNIST.folder(), timeout: 400)
        assertSucceeded(r, "launch/speedrun --torch-seeds 1")
        XCTAssertTrue(r.stdout.contains("seed 3 PyTorch: "), r.stdout)
        XCTAssertTrue(r.stdout.contains("PyTorch / dtrain"), r.stdout)
        let s = try json(out + "/speedrun.json")
        XCTAssertEqual(s["torch_seeds"] as? Int, 1)
        let torchAccuracy = try XCTUnwrap((s["torch_accuracies"] as? [Double])?.first)
        XCTAssertTrue((0...100).contains(torchAccuracy))
        let torchTraining = try XCTUnwrap(s["torch_training_seconds"] as? Double)
        let training = try XCTUnwrap(s["training_seconds"] as? Double)
        XCTAssertEqual(s["torch_ratio"] as? Double ?? -1, torchTraining / training, accuracy: 1e-9)
    }

    func testBadArgumentsExit2() throws {
        let out = try makeTempFolder("speedrun-bad")
        for args in [["--seeds", "0"], ["-np", "0"], ["--config", out + "/missing.yaml"], ["--seeds", "x"]] {
            let r = try runProcess(script, args + ["--out", out], timeout: 30)
            XCTAssertEqual(r.status, 2, "\(args): \(r)")
        }
    }
}
