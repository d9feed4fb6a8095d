// Inputs that would exhaust memory (issue 22), end to end through the built binary: a YAML alias
// bomb and a document nested 100,000 deep stop with exit 2 under a 1 GB address-space limit (so
// nothing was expanded: 9^9 nodes would need far more); a model bigger than the rank's limit is
// refused by the memory pre-flight with the estimate (exit 2), and, with the pre-flight skipped,
// the failed allocation itself ends the job with exit 1 and one line (MPI_Abort under mpirun);
// the pre-flight's estimate is within 20% of the measured peak RSS for LeNet-5 and mnist-alexnet.

import Core
import Foundation
import XCTest

final class MemoryLimitTests: XCTestCase {
    /// `dtrain args` under `ulimit -v kilobytes` (and mpirun when `ranks` is given).
    private func limited(_ kilobytes: Int, _ args: [String], ranks: Int? = nil, env: [String: String] = [:]) throws -> RunResult {
        let binary = try dtrainBinary()
        var command = [binary] + args
        if let ranks {
            guard let mpirun = findInPath("mpirun") else { throw XCTSkip("mpirun is not on PATH") }
            command = [mpirun, "-np", "\(ranks)", "--oversubscribe", "-x", "OPENBLAS_NUM_THREADS"]
                + env.keys.sorted().flatMap { ["-x", $0] } + command
        }
        return try runProcess("/bin/sh", ["-c", "ulimit -v \(kilobytes) && exec \"$@\"", "sh"] + command, env: env, timeout: 120)
    }

    private func write(_ text: String, _ name: String) throws -> String {
        let path = try makeTempFolder("memory") + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testAliasBombAndDeepDocumentExitTwoWithoutExpanding() throws {
        var lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for i in 1...9 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        let bomb = try write("model: models/lenet5.yaml\n" + lines.joined(separator: "\n") + "\n", "bomb.yaml")
        let deep = try write("model: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n", "deep.yaml")
        for (path, limit) in [(bomb, "nodes"), (deep, "levels")] {
            let r = try limited(1_000_000, ["train", "--config", path])
            XCTAssertEqual(r.status, 2, "\(r)")
            XCTAssertTrue(r.stderr.contains(path) && r.stderr.contains("limit") && r.stderr.contains(limit), r.stderr)
        }
    }

    private var hugeModel: String {
        get throws {
            try write("""
                model:
                  name: huge
                  input: [1, 28, 28]
                  layers: [flatten, {linear: {out: 2000000}}]
                data: {path: \(packageRoot)/data/mnist}
                output: \(try makeTempFolder("huge"))
                """, "huge.yaml")
        }
    }

    func testModelOverTheLimitIsRefusedWithTheEstimate() throws {
        let r = try limited(6_000_000, ["train", "--config", try hugeModel])
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stderr.contains("model huge needs 19.9 GB per rank (params 6.3, grads 6.3, momentum 6.3"), r.stderr)
        XCTAssertTrue(r.stderr.contains("this rank can have") && r.stderr.contains("RLIMIT_AS"), r.stderr)
    }

    func testFailedAllocationEndsTheJobWithOneLine() throws {
        let skip = ["DTRAIN_NO_MEMORY_PREFLIGHT": "1"]
        let single = try limited(6_000_000, ["train", "--config", try hugeModel], env: skip)
        XCTAssertEqual(single.status, 1, "\(single)")
        XCTAssertTrue(single.stderr.hasPrefix("error: out of memory: cannot allocate"), single.stderr)
        let job = try limited(6_000_000, ["train", "--config", try hugeModel], ranks: 2, env: skip)
        XCTAssertEqual(job.status, 1, "\(job)")
        XCTAssertTrue(job.stderr.contains("error: out of memory: cannot allocate"), job.stderr)
    }

    func testEstimateIsWithinTwentyPercentOfPeakRSS() throws {
        for config in ["configs/lenet5.yaml", "configs/mnist-alexnet.yaml"] {
            let r = try dtrain(["bench", "train", "--config", config, "--steps", "3", "--warmup", "1"])
            assertSucceeded(r, config)
            // "peak RSS 198.9 MB (pre-flight estimate 198.5 MB)"
            guard let range = r.stdout.range(of: #"peak RSS ([0-9.]+) MB \(pre-flight estimate ([0-9.]+) MB\)"#, options: .regularExpression)
            else { return XCTFail("\(config): no peak RSS line\n\(r)") }
            let numbers = r.stdout[range].split(whereSeparator: { !"0123456789.".contains($0) }).compactMap { Double($0) }
            XCTAssertEqual(numbers.count, 2, String(r.stdout[range]))
            let (peak, estimate) = (numbers[0], numbers[1])
            XCTAssertLessThan(abs(estimate - peak) / peak, 0.2, "\(config): estimate \(estimate) MB vs peak RSS \(peak) MB")
        }
    }
}
