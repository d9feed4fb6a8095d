// Shared helpers for the end-to-end tests: find the package root and the built release binary, run
// a process (plain or under mpirun) in its own process group with a hard timeout, temp folders, a
// small MNIST subset for cheap multi-epoch runs, and readers for metrics.jsonl, steps.csv and
// checkpoints. Nothing here is a test by itself.

#if canImport(Glibc)
import Core
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import XCTest
import Training

/// The package root (this file is Tests/IntegrationTests/Support.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// The shipped run config and full MNIST, as absolute paths.
let lenetConfig = packageRoot + "/configs/lenet5.yaml"
let mnistFolder = packageRoot + "/data/mnist"

/// A failure of the test machinery itself (binary missing, spawn failed), thrown so the test fails
/// with this message.
struct SupportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// .build/release/dtrain (or $DTRAIN_BINARY, e.g. a build with another --scratch-path), or an
/// error saying how to build it.
func dtrainBinary() throws -> String {
    let path = ProcessInfo.processInfo.environment["DTRAIN_BINARY"] ?? packageRoot + "/.build/release/dtrain"
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw SupportError("dtrain is not built: \(path) is missing; run `swift build -c release` in \(packageRoot) first")
    }
    return path
}

func findInPath(_ name: String) -> String? {
    let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
    return dirs.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

// MARK: - Running processes

struct RunResult: CustomStringConvertible {
    var status: Int32          // exit code, or 128 + signal
    var stdout: String
    var stderr: String
    var timedOut: Bool
    var seconds: Double
    var command: String

    /// Non-empty stderr lines.
    var stderrLines: [Substring] { stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty } }

    var description: String {
        "`\(command)` exited \(status)\(timedOut ? " (TIMED OUT, process group killed)" : "") after "
            + String(format: "%.1f", seconds) + " s\n--- stdout ---\n\(stdout.suffix(4000))\n--- stderr ---\n\(stderr.suffix(4000))"
    }
}

/// The environment of every child: MPI may run as root, one BLAS thread, no progress bar.
private func childEnvironment(_ extra: [String: String]) -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    // a test process started under a launcher must not make plain children think they are ranks
    for key in env.keys where key.hasPrefix("OMPI_COMM_WORLD") || key.hasPrefix("PMIX_") || key == "PMI_RANK" {
        env[key] = nil
    }
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["DTRAIN_PROGRESS"] = "0"
    env["DTRAIN_CACHE"] = testPixelCache
    for (k, v) in extra { env[k] = v }
    return env
}

/// The pixel cache of every dtrain this test process starts: its own folder, removed at exit, so
/// tests neither fill the user's cache nor depend on what an earlier run left there.
let testPixelCache: String = {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-it-cache-\(getpid())").path
    atexit { try? FileManager.default.removeItem(atPath: FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-it-cache-\(getpid())").path) }
    return folder
}()

/// Runs `executable args` in `cwd` (default: the package root) as the leader of a new process
/// group, stdout and stderr captured in temp files. After `timeout` seconds the whole group
/// (mpirun and every rank) is killed with SIGKILL and `timedOut` is set.
func runProcess(_ executable: String, _ args: [String], env: [String: String] = [:], timeout: TimeInterval,
                cwd: String = packageRoot) throws -> RunResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-it-proc-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let outPath = scratch + "/stdout", errPath = scratch + "/stderr"

    // /bin/sh changes directory and execs, so the child keeps the group and its pid
    let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", cwd, executable] + args
    let envp = childEnvironment(env).map { "\($0.key)=\($0.value)" }
    var cArgs = argv.map { strdup($0) } + [nil]
    var cEnv = envp.map { strdup($0) } + [nil]
    defer { for p in cArgs + cEnv { free(p) } }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var allSignals = sigset_t(), noSignals = sigset_t()
    sigfillset(&allSignals); sigemptyset(&noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    let command = ([executable] + args).joined(separator: " ")
    let start = Date()
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &cArgs, &cEnv)
    guard spawned == 0 else { throw SupportError("cannot start \(command): \(String(cString: strerror(spawned)))") }

    var status: Int32 = 0, timedOut = false
    let deadline = start.addingTimeInterval(timeout)
    while true {
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { break }
        if r < 0 && errno != EINTR { throw SupportError("waitpid for \(command): \(String(cString: strerror(errno)))") }
        if Date() >= deadline {
            timedOut = true
            kill(-pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            break
        }
        usleep(20_000)
    }
    // nothing of the group may outlive the leader (a stray rank would hold cores for later tests)
    kill(-pid, SIGKILL)
    let seconds = Date().timeIntervalSince(start)
    let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return RunResult(status: code, stdout: out, stderr: err, timedOut: timedOut, seconds: seconds, command: command)
}

/// Runs `dtrain args...`: a plain process when `ranks` is nil, else under `mpirun -np ranks`.
func dtrain(_ args: [String], ranks: Int? = nil, timeout: TimeInterval = 120) throws -> RunResult {
    let binary = try dtrainBinary()
    guard let ranks else { return try runProcess(binary, args, timeout: timeout) }
    guard let mpirun = findInPath("mpirun") else { throw SupportError("mpirun is not on PATH (install openmpi-bin)") }
    return try runProcess(mpirun, ["-np", "\(ranks)", "--oversubscribe", "-x", "OPENBLAS_NUM_THREADS",
                                   "-x", "DTRAIN_PROGRESS", binary] + args, timeout: timeout)
}

/// `--set k=v` for each pair.
func sets(_ pairs: [String: Any]) -> [String] {
    pairs.keys.sorted().flatMap { ["--set", "\($0)=\(pairs[$0]!)"] }
}

/// Fails the test (with the whole output) unless the run exited 0 in time.
func assertSucceeded(_ r: RunResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(r.timedOut, "\(what): timed out\n\(r)", file: file, line: line)
    XCTAssertEqual(r.status, 0, "\(what): expected exit 0\n\(r)", file: file, line: line)
}

// MARK: - Temp folders

extension XCTestCase {
    /// A fresh folder removed when the test ends (kept when DTRAIN_KEEP_TEST_OUTPUT is set).
    func makeTempFolder(_ label: String = "run") throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("dtrain-it-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["DTRAIN_KEEP_TEST_OUTPUT"] == nil {
            addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        } else {
            print("keeping test output in \(path)")
        }
        return path
    }
}

// MARK: - A small MNIST

/// The first 3,072 training and 1,024 test images of data/mnist as raw IDX files: with
/// data.validation=512 that is 2,560 training images, 80 steps per epoch at a global batch of 32,
/// and an epoch (training + evaluation) takes well under a second. Made once per test process.
enum SmallMNIST {
    static let trainCount = 3072, testCount = 1024, validation = 512

    static func stepsPerEpoch(globalBatch: Int) -> Int { (trainCount - validation) / globalBatch }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: String?

    static func folder() throws -> String {
        lock.lock(); defer { lock.unlock() }
        if let made { return made }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-it-mnist-\(getpid())").path
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (prefix, count) in [("train", trainCount), ("t10k", testCount)] {
            try extract(prefix + "-images-idx3-ubyte", count: count, headerBytes: 16, itemBytes: 28 * 28, into: folder)
            try extract(prefix + "-labels-idx1-ubyte", count: count, headerBytes: 8, itemBytes: 1, into: folder)
        }
        made = folder
        smallMNISTFolderToRemove = folder
        atexit { if let f = smallMNISTFolderToRemove { try? FileManager.default.removeItem(atPath: f) } }
        return folder
    }

    /// Decompresses the first `count` items of data/mnist/NAME.gz into FOLDER/NAME (raw IDX) and
    /// rewrites the item count in its header.
    private static func extract(_ name: String, count: Int, headerBytes: Int, itemBytes: Int, into folder: String) throws {
        guard let gzip = findInPath("gzip") else { throw SupportError("gzip is not on PATH (needed to cut a small MNIST)") }
        let target = folder + "/" + name
        let bytes = headerBytes + count * itemBytes
        let r = try runProcess("/bin/sh", ["-c", "\"$0\" -dc \"$1\" | head -c \(bytes) > \"$2\"",
                                           gzip, "\(mnistFolder)/\(name).gz", target], timeout: 60)
        guard var data = FileManager.default.contents(atPath: target), data.count == bytes else {
            throw SupportError("could not cut \(count) items from \(mnistFolder)/\(name).gz\n\(r)")
        }
        let n = UInt32(count).bigEndian
        withUnsafeBytes(of: n) { data.replaceSubrange(4..<8, with: $0) }
        try data.write(to: URL(fileURLWithPath: target))
    }
}

nonisolated(unsafe) private var smallMNISTFolderToRemove: String?

// MARK: - Reading run outputs

/// metrics.jsonl: one dictionary per line.
func readMetrics(_ folder: String, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
    let path = folder + "/metrics.jsonl"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw SupportError("\(path): cannot read") }
    return try text.split(separator: "\n").map { row in
        guard let object = try JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: Any] else {
            throw SupportError("\(path): line is not a JSON object: \(row)")
        }
        return object
    }
}

/// A number from a metrics record (nil when missing, null or not a number).
func number(_ record: [String: Any], _ key: String) -> Double? {
    (record[key] as? NSNumber)?.doubleValue
}

/// steps.csv rows (header excluded), each split at commas.
func readSteps(_ folder: String) throws -> (header: String, rows: [[String]]) {
    let path = folder + "/steps.csv"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw SupportError("\(path): cannot read") }
    let lines = text.split(separator: "\n").map(String.init)
    return (lines.first ?? "", lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) })
}

/// Every tensor of a safetensors file, by name.
func readTensors(_ path: String) throws -> [String: (shape: [Int], values: [Float])] {
    let file = try SafeTensorsFile.open(path: path)
    var out: [String: (shape: [Int], values: [Float])] = [:]
    for name in file.names {
        let e = file.entries[name]!
        // I64 counters (BatchNorm's num_batches_tracked) compared as floats: exact below 2^24
        out[name] = (e.shape, e.dtype == .i64 ? try file.int64s(name).map { Float($0) } : try file.floats(name))
    }
    return out
}

/// The largest |a - b| over every tensor; fails the test when the two files hold different names
/// or shapes. `bitEqual` is true when every value has the same bit pattern.
func compareTensors(_ pathA: String, _ pathB: String, file: StaticString = #filePath, line: UInt = #line) throws
    -> (maxDifference: Float, worst: String, bitEqual: Bool) {
    let a = try readTensors(pathA), b = try readTensors(pathB)
    XCTAssertEqual(Set(a.keys), Set(b.keys), "\(pathA) and \(pathB) hold different tensors", file: file, line: line)
    XCTAssertFalse(a.isEmpty, "\(pathA) holds no tensors", file: file, line: line)
    var worst = (0 as Float, ""), bitEqual = true
    for (name, ta) in a {
        guard let tb = b[name] else { bitEqual = false; continue }
        XCTAssertEqual(ta.shape, tb.shape, "tensor \(name): shapes differ", file: file, line: line)
        guard ta.values.count == tb.values.count else { bitEqual = false; continue }
        for i in ta.values.indices {
            let x = ta.values[i], y = tb.values[i]
            if x.bitPattern != y.bitPattern { bitEqual = false }
            let d = abs(x - y)
            if !(d <= worst.0) { worst = (d.isNaN ? .infinity : d, name) }
        }
    }
    return (worst.0, worst.1, bitEqual)
}

// MARK: - Network namespaces

/// iproute2's `ip`, where installed.
func ipCommand() -> String? {
    ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? findInPath("ip")
}

/// The path of `ip`, or a skip saying why network namespaces cannot be made here (not root, no
/// `ip`, or the kernel refusing one); `what` names the skipped test in the message.
func requireNetworkNamespaces(_ what: String) throws -> String {
    guard geteuid() == 0 else { throw XCTSkip("network namespaces need root (euid \(geteuid())): \(what) skipped") }
    guard let ip = ipCommand() else { throw XCTSkip("`ip` (iproute2) is not installed: \(what) skipped") }
    let probe = "dtprobe\(getpid() % 100_000)"
    let r = try runProcess(ip, ["netns", "add", probe], timeout: 20)
    _ = try? runProcess(ip, ["netns", "del", probe], timeout: 20)
    guard r.status == 0 else {
        throw XCTSkip("cannot create a network namespace (\(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))): \(what) skipped")
    }
    return ip
}
