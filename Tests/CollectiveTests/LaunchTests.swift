// Launch: `auto` is the local communicator when no MPI launcher variable is set (this test process
// is never started by mpirun, so none is), and the CommKind names parse.

import Core
import Collective
import XCTest

final class LaunchTests: XCTestCase {
    func testAutoIsLocalWithoutLauncher() throws {
        XCTAssertFalse(launchedByMPI(), "run the unit tests without mpirun: a launcher variable is set")
        let comm = try makeCommunicator(.auto)
        XCTAssertEqual(comm.kind, "local")
        XCTAssertEqual(comm.size, 1)
        XCTAssertEqual(comm.rank, 0)
    }

    func testLocalKind() throws {
        XCTAssertEqual(try makeCommunicator(.local).kind, "local")
    }

    func testKindNames() {
        XCTAssertEqual(CommKind(rawValue: "auto"), .auto)
        XCTAssertEqual(CommKind(rawValue: "local"), .local)
        XCTAssertEqual(CommKind(rawValue: "mpi"), .mpi)
        XCTAssertNil(CommKind(rawValue: "nccl"))
    }
}
