// The harness itself: a process that outlives its timeout is killed together with everything it
// started (what keeps a hung mpirun job from blocking CI), and exit codes come back as such.

#if canImport(Glibc)
import Core
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import XCTest

final class SupportTests: XCTestCase {
    func testTimeoutKillsTheWholeProcessGroup() throws {
        let r = try runProcess("/bin/sh", ["-c", "sleep 30 & echo $!; wait"], timeout: 1)
        XCTAssertTrue(r.timedOut, "\(r)")
        XCTAssertLessThan(r.seconds, 10)
        let child = try XCTUnwrap(Int32(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "no child pid in \(r)")
        // gone, or a zombie waiting for its new parent to reap it
        var alive = true
        for _ in 0..<100 where alive {
            let state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?
                .split(separator: ")").last?.split(separator: " ").first
            alive = state != nil && state != "Z" && kill(child, 0) == 0
            if alive { usleep(20_000) }
        }
        XCTAssertFalse(alive, "the background child \(child) survived the timeout")
    }

    func testExitCodeAndStreams() throws {
        let r = try runProcess("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], timeout: 10)
        XCTAssertFalse(r.timedOut)
        XCTAssertEqual(r.status, 3)
        XCTAssertEqual(r.stdout, "out\n")
        XCTAssertEqual(r.stderr, "err\n")
    }
}
