// LocalCommunicator: a world of one passes the collective self-check, every collective is the
// identity, and the Double/String helpers round-trip. No MPI is initialised in this process.

import Core
import Collective
import XCTest

final class LocalCommunicatorTests: XCTestCase {
    func testPassesSelfCheck() {
        let comm = LocalCommunicator()
        XCTAssertEqual(collectiveSelfCheck(comm), [])
    }

    func testWorldOfOne() {
        let comm = LocalCommunicator()
        XCTAssertEqual(comm.rank, 0)
        XCTAssertEqual(comm.size, 1)
        XCTAssertEqual(comm.kind, "local")
        XCTAssertTrue(comm.isRoot)
    }

    func testCollectivesAreIdentity() {
        let comm = LocalCommunicator()
        var grads: [Float] = [1.5, -2, 3]
        comm.allreduceSum(&grads)
        XCTAssertEqual(grads, [1.5, -2, 3])
        comm.broadcast(&grads, root: 0)
        XCTAssertEqual(grads, [1.5, -2, 3])
        XCTAssertEqual(comm.broadcast(bytes: [9, 8, 7], root: 0), [9, 8, 7])
        XCTAssertEqual(comm.allgather(bytes: [1, 2]), [[1, 2]])
        XCTAssertEqual(comm.allgather(bytes: []), [[]])
        comm.barrier()
        comm.finalize()
        comm.finalize()
    }

    func testNonBlockingIsCompleteAtOnce() {
        let comm = LocalCommunicator()
        var grads: [Float] = [0.25, 4]
        grads.withUnsafeMutableBufferPointer { buffer in
            let pending = comm.startAllreduceSum(buffer)
            XCTAssertTrue(pending.isComplete)
            comm.wait(pending)
            comm.wait(pending)
        }
        XCTAssertEqual(grads, [0.25, 4])
    }

    func testHelpers() {
        let comm = LocalCommunicator()
        XCTAssertEqual(comm.allreduceSum(2.5), 2.5)
        XCTAssertEqual(comm.allreduceSum(7), 7)
        XCTAssertEqual(comm.allreduceMax(-1.0), -1.0)
        XCTAssertEqual(comm.allreduceMin(3.0), 3.0)
        XCTAssertEqual(comm.allreduceSum([1.0, 2.0]), [1.0, 2.0])
        let record = [0.1, -0.0, .infinity, 1e-300]
        XCTAssertEqual(comm.allgather(record), [record])
        XCTAssertEqual(comm.allgather(98.25), [98.25])
        XCTAssertEqual(comm.broadcast("naïve ✓", root: 0), "naïve ✓")
        XCTAssertEqual(comm.allgather("host-a"), ["host-a"])
    }
}
