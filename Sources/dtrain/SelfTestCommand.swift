// dtrain selftest-comm: checks every collective at the current world size (used by the MPI
// integration tests under mpirun -np 2 and 4). Rank 0 prints the verdict.

import Core
import ArgumentParser
import Foundation
import Collective

struct SelfTestComm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest-comm", abstract: "Check allreduce, broadcast, gather at this world size.",
        shouldDisplay: false)

    @OptionGroup var communicator: CommOptions

    func run() throws {
        try withCommunicator(communicator.comm) { comm in
            let failures = collectiveSelfCheck(comm)
            let counts = comm.allgather([Double(failures.count)])
            for f in failures { FileHandle.standardError.write(Data("rank \(comm.rank): \(f)\n".utf8)) }
            if comm.rank == 0 {
                let total = counts.reduce(0) { $0 + Int($1.first ?? 0) }
                if total == 0 { print("collective self-check passed at world size \(comm.size) (\(comm.kind))") }
                else { throw CommandFailure(message: "collective self-check: \(total) failures at world size \(comm.size)", code: 1) }
            }
        }
    }
}
