// Faults end to end (issue 4): a rank killed with SIGKILL mid-epoch under launch/train
// --max-restarts is relaunched from the latest checkpoint and the run ends exactly where an
// uninterrupted one does; a straggler is named by the stall warning; ranks that disagree in the
// pre-flight fingerprint stop with exit 2 before training; divergence stops every rank with exit 3
// whatever the gradient-averaging strategy. All runs use the small MNIST.

#if canImport(Glibc)
import Core
import Glibc
#endif
import Foundation
import XCTest
import Training

final class FaultTests: XCTestCase {
    /// Runs `mpirun <mpiArgs> dtrain <args>` (one MPMD app context) with `env` added to the
    /// environment of mpirun and so of its local ranks.
    private func mpirun(_ mpiArgs: [String], _ args: [String], env: [String: String] = [:], timeout: TimeInterval = 60) throws -> RunResult {
        guard let mpirun = findInPath("mpirun") else { throw SupportError("mpirun is not on PATH (install openmpi-bin)") }
        return try runProcess(mpirun, ["--oversubscribe", "-x", "OPENBLAS_NUM_THREADS", "-x", "DTRAIN_PROGRESS"] + mpiArgs
                                      + [try dtrainBinary()] + args, env: env, timeout: timeout)
    }

    // MARK: a rank killed under launch/train --max-restarts

    /// launch/train -np 2 --max-restarts 2, 2 epochs of 80 steps, a checkpoint every 10 steps.
    /// DTRAIN_INJECT_DELAY holds rank 1 for 3 s before step 105's exchange, so once the step-100
    /// checkpoint is `latest` the job is certainly mid-epoch 2 when rank 1 gets SIGKILL. The job
    /// must be relaunched once ("restart 1 of 2"), resume at step 100 and finish: exit 0, one
    /// metrics line per epoch, and a final latest.safetensors bit-identical to an uninterrupted run.
    func testKilledRankIsRestartedFromTheLatestCheckpoint() throws {
        let tmp = try makeTempFolder("fault-kill")
        let data = try SmallMNIST.folder()
        let output = tmp + "/run", reference = tmp + "/reference"
        let epochs = 2, stepsPerEpoch = SmallMNIST.stepsPerEpoch(globalBatch: 32), killAfter = 100
        func arguments(_ output: String) -> [String] {
            ["--config", lenetConfig] + sets(["train.epochs": epochs, "train.batch_size": 16, "data.path": data,
                                              "data.validation": SmallMNIST.validation, "checkpoint.every_steps": 10,
                                              "output": output])
        }
        let uninterrupted = try dtrain(["train"] + arguments(reference), ranks: 2)
        assertSucceeded(uninterrupted, "uninterrupted reference run")

        // launch/train runs `swift build -c release` first: a stub `swift` keeps this test from
        // rebuilding (or waiting on the build lock of) the package under test
        let stubs = tmp + "/bin"
        try FileManager.default.createDirectory(atPath: stubs, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: stubs + "/swift", contents: Data("#!/bin/sh\nexit 0\n".utf8),
                                       attributes: [.posixPermissions: 0o755])
        let path = stubs + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")

        let job = BackgroundRun {
            try runProcess(packageRoot + "/launch/train", ["-np", "2", "--max-restarts", "2"] + arguments(output),
                           env: ["PATH": path, "DTRAIN_INJECT_DELAY": "1@\(killAfter + 5):3"], timeout: 180)
        }
        // wait until the step-100 checkpoint is `latest`, then SIGKILL rank 1 (held at step 105)
        let deadline = Date().addingTimeInterval(120)
        var killed: pid_t?
        while killed == nil, !job.isDone, Date() < deadline {
            if let step = try? SafeTensorsFile.open(path: output + "/latest.safetensors").metadata["step"], step == String(killAfter),
               let victim = rankProcess(rank: 1, commandContains: "output=\(output)") {
                XCTAssertEqual(kill(victim, SIGKILL), 0, "kill \(victim)")
                killed = victim
            } else {
                usleep(20_000)
            }
        }
        let r = try job.wait()
        XCTAssertNotNil(killed, "never found rank 1 of the job at step \(killAfter) to kill\n\(r)")
        assertSucceeded(r, "launch/train with a killed rank")
        XCTAssertTrue(r.stderr.contains("restart 1 of 2"), "no 'restart 1 of 2' on stderr\n\(r)")
        XCTAssertFalse(r.stderr.contains("restart 2 of 2"), "restarted twice\n\(r)")
        XCTAssertTrue(r.stdout.contains("at step \(killAfter)"), "the restart did not resume at step \(killAfter)\n\(r)")
        XCTAssertTrue(r.stdout.contains("done: \(epochs * stepsPerEpoch) steps"), r.stdout)

        let metrics = try readMetrics(output)
        XCTAssertEqual(metrics.compactMap { number($0, "epoch") }, (1...epochs).map(Double.init),
                       "metrics.jsonl: expected epochs 1...\(epochs) once each, in order:\n\(metrics)")
        XCTAssertEqual(metrics.compactMap { number($0, "step") }, (1...epochs).map { Double($0 * stepsPerEpoch) })
        XCTAssertEqual(try readMetrics(reference).compactMap { number($0, "test_accuracy") },
                       metrics.compactMap { number($0, "test_accuracy") }, "test accuracy differs from the uninterrupted run")

        let final = try SafeTensorsFile.open(path: output + "/latest.safetensors")
        XCTAssertEqual(final.metadata["step"], String(epochs * stepsPerEpoch))
        XCTAssertTrue(final.names.contains("optimizer.conv1.weight.momentum"), "no momentum in \(final.names)")
        let c = try compareTensors(reference + "/latest.safetensors", output + "/latest.safetensors")
        XCTAssertTrue(c.bitEqual, "restarted run differs from the uninterrupted one: max |difference| \(c.maxDifference) in \(c.worst)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [], "temp files left in the output folder")
    }

    /// The pid of a running `dtrain train` rank (a child of mpirun) whose command line contains
    /// `commandContains` and whose OMPI_COMM_WORLD_RANK is `rank`.
    private func rankProcess(rank: Int, commandContains marker: String) -> pid_t? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = pid_t(entry),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            let args = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard let first = args.first, first.hasSuffix("/dtrain"), args.dropFirst().first == "train",
                  args.contains(where: { $0.contains(marker) }) else { continue }
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }

    // MARK: stall warning

    /// Rank 1 sleeps 2.5 s before step 5's exchange with train.stall_warning_s=1: rank 0 names it.
    func testStallWarningNamesTheLateRank() throws {
        let tmp = try makeTempFolder("fault-stall")
        let r = try mpirun(["-np", "2", "-x", "DTRAIN_INJECT_DELAY=1@5:2.5"],
                           ["train", "--config", lenetConfig]
                           + sets(["train.epochs": 1, "train.max_steps": 10, "data.path": try SmallMNIST.folder(),
                                   "data.validation": SmallMNIST.validation, "train.stall_warning_s": 1, "output": tmp + "/run"]))
        assertSucceeded(r, "run with a straggler")
        XCTAssertTrue(r.stderr.contains("rank 1 has not joined step 5 for 1 s"), "no stall warning naming rank 1\n\(r)")
        XCTAssertFalse(r.stderr.contains("rank 0 has not joined"), "rank 0 was named\n\(r)")
        XCTAssertTrue(r.stdout.contains("done: 10 steps"), r.stdout)
    }

    // MARK: pre-flight

    /// An MPMD launch whose two ranks differ only in OPENBLAS_NUM_THREADS: exit 2 before any
    /// training, naming rank 1 and blas_threads. `--bind-to none`: under mpirun's default binding
    /// (one core per rank at np <= 2) OpenBLAS caps its threads at the bound cores, so both ranks
    /// would really run one thread and agree.
    func testPreflightMismatchStopsBeforeTraining() throws {
        guard ProcessInfo.processInfo.activeProcessorCount >= 2 else {
            throw XCTSkip("needs 2 cores: with one, OpenBLAS runs one thread whatever OPENBLAS_NUM_THREADS says")
        }
        let tmp = try makeTempFolder("fault-preflight")
        guard let mpirun = findInPath("mpirun") else { throw SupportError("mpirun is not on PATH") }
        let binary = try dtrainBinary()
        let args = ["train", "--config", lenetConfig]
            + sets(["train.epochs": 1, "train.max_steps": 10, "data.path": try SmallMNIST.folder(),
                    "data.validation": SmallMNIST.validation, "output": tmp + "/run"])
        let r = try runProcess(mpirun, ["--oversubscribe", "--bind-to", "none",
                                        "-np", "1", "-x", "OPENBLAS_NUM_THREADS=1", binary] + args
                                       + [":", "-np", "1", "-x", "OPENBLAS_NUM_THREADS=2", binary] + args, timeout: 60)
        XCTAssertFalse(r.timedOut, "pre-flight mismatch hung\n\(r)")
        XCTAssertEqual(r.status, 2, "expected exit 2 (bad input)\n\(r)")
        XCTAssertTrue(r.stderr.contains("rank 1 differs from rank 0 in blas_threads"), "\(r)")
        XCTAssertFalse(r.stdout.contains("epoch 1/"), "trained before failing\n\(r)")
        let metrics = (try? String(contentsOfFile: tmp + "/run/metrics.jsonl", encoding: .utf8)) ?? ""
        XCTAssertEqual(metrics.split(separator: "\n").count, 0, "metrics.jsonl has lines: \(metrics)")
    }

    // MARK: divergence under every strategy

    /// lr 1e6 without momentum at np=2 under `strategy`: every rank stops with exit 3, fast.
    private func expectDivergence(_ strategy: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let tmp = try makeTempFolder("fault-diverge")
        let r = try dtrain(["train", "--config", lenetConfig]
                           + sets(["train.lr": "1e6", "train.momentum": 0, "train.allreduce": strategy,
                                   "train.epochs": 1, "data.path": try SmallMNIST.folder(),
                                   "data.validation": SmallMNIST.validation, "output": "\(tmp)/\(strategy)"]),
                           ranks: 2, timeout: 60)
        XCTAssertFalse(r.timedOut, "\(strategy): diverging run hung\n\(r)", file: file, line: line)
        XCTAssertEqual(r.status, 3, "\(strategy): expected exit 3 (diverged)\n\(r)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains("diverged"), "\(strategy): no 'diverged' on stderr\n\(r)", file: file, line: line)
        XCTAssertFalse(r.stdout.contains("epoch 1/1"), "\(strategy): finished an epoch after diverging\n\(r)", file: file, line: line)
    }

    /// The coordinator (reduce to rank 0, update there, broadcast the parameters) and bucketed
    /// strategies stop together on a non-finite loss, as flat does (BadInputTests).
    func testDivergenceExitsThreeWithCoordinatorAndBucketed() throws {
        try expectDivergence("coordinator")
        try expectDivergence("bucketed")
    }

    /// exact converts every micro-batch's loss and gradient to 64-bit fixed point: a non-finite
    /// value must end in exit 3 like the other strategies, not in a conversion trap (exit 132).
    func testDivergenceExitsThreeWithExact() throws {
        try expectDivergence("exact")
    }
}

/// A closure run on a background thread; `wait()` returns what it returned or rethrows.
private final class BackgroundRun: @unchecked Sendable {
    private let lock = NSLock()
    private let finished = DispatchSemaphore(value: 0)
    private var result: Result<RunResult, Error>?

    init(_ body: @escaping () throws -> RunResult) {
        Thread.detachNewThread { [self] in
            let r = Result { try body() }
            lock.lock(); result = r; lock.unlock()
            finished.signal()
        }
    }

    var isDone: Bool { lock.lock(); defer { lock.unlock() }; return result != nil }

    func wait() throws -> RunResult {
        finished.wait()
        lock.lock(); defer { lock.unlock() }
        return try result!.get()
    }
}
