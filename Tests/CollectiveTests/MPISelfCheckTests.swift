// The collective self-check across real processes: runs the built `dtrain selftest-comm` under
// `mpirun -np 2` and `-np 4` and expects exit 0 with "collective self-check passed". Fails (never
// skips) when the binary has not been built. The rank-local logic is covered by the other tests.

import Core
import Foundation
import XCTest

final class MPISelfCheckTests: XCTestCase {
    func testSelfCheckAtTwoRanks() throws {
        try runSelfCheck(ranks: 2)
    }

    func testSelfCheckAtFourRanks() throws {
        try runSelfCheck(ranks: 4)
    }

    private func runSelfCheck(ranks: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let binary = try XCTUnwrap(dtrainBinary(), """
            dtrain is not built: looked for \(binaryCandidates.map(\.path).joined(separator: " and ")); \
            run `swift build` (or `swift build -c release`) in \(packageRoot.path) first
            """, file: file, line: line)
        let mpirun = try XCTUnwrap(findInPath("mpirun"), "mpirun is not on PATH (install openmpi-bin)",
                                   file: file, line: line)
        let result = try runProcess(mpirun, ["-np", "\(ranks)", "--oversubscribe", binary.path, "selftest-comm"],
                             timeout: 300)
        XCTAssertFalse(result.timedOut, "mpirun -np \(ranks) did not finish in 300 s:\n\(result.output)",
                       file: file, line: line)
        XCTAssertEqual(result.status, 0, "mpirun -np \(ranks) exited \(result.status):\n\(result.output)",
                       file: file, line: line)
        XCTAssertTrue(result.output.contains("collective self-check passed"),
                      "no \"collective self-check passed\" at -np \(ranks):\n\(result.output)", file: file, line: line)
    }
}

/// <package root>, three levels above this file (Tests/CollectiveTests/<file>).
private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private let binaryCandidates = ["release", "debug"].map {
    packageRoot.appendingPathComponent(".build/\($0)/dtrain")
}

/// The most recently built of .build/release/dtrain and .build/debug/dtrain.
private func dtrainBinary() -> URL? {
    func modified(_ url: URL) -> Date {
        (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
    }
    return binaryCandidates
        .filter { FileManager.default.isExecutableFile(atPath: $0.path) }
        .max { modified($0) < modified($1) }
}

private func findInPath(_ name: String) -> URL? {
    let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
    return dirs.map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

/// Runs `executable` with stdout and stderr into one temporary file; kills it after `timeout` s.
private func runProcess(_ executable: URL, _ arguments: [String], timeout: TimeInterval) throws
    -> (status: Int32, output: String, timedOut: Bool) {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("collective-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    let handle = try FileHandle(forWritingTo: log)
    defer { try? handle.close() }

    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    environment["OPENBLAS_NUM_THREADS"] = "1"
    process.environment = environment
    process.standardOutput = handle
    process.standardError = handle
    try process.run()

    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    let timedOut = process.isRunning
    if timedOut {
        process.terminate()
        process.waitUntilExit()
    }
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    return (process.terminationStatus, output, timedOut)
}
