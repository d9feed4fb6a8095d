// How a failure ends the process: one line on stderr and the documented exit code. Under MPI a
// failing rank takes the whole job down with MPI_Abort (never leaving the others blocked in a
// collective); ranks other than 0 give rank 0 a moment to report first, so a failure every rank
// sees (a bad config) is printed once.

import Core
import ArgumentParser
import Foundation
import NN
import Training
import Collective

struct CommandFailure: Error {
    let message: String
    let code: Int32

    static func from(_ error: Error) -> CommandFailure {
        switch error {
        case let e as InputError: return CommandFailure(message: e.message, code: 2)
        case let e as TrainingDiverged: return CommandFailure(message: e.description, code: 3)
        case let e as CommandFailure: return e
        default: return CommandFailure(message: "\(error)", code: 1)
        }
    }

    func exit() -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(code)
    }
}

/// Runs `body` with a communicator and maps every failure to the job-wide exit policy.
func withCommunicator(_ kind: CommKind, _ body: (Communicator) throws -> Void) throws {
    let comm: Communicator
    do { comm = try makeCommunicator(kind) } catch { throw CommandFailure.from(error) }
    do {
        try body(comm)
        comm.finalize()
    } catch {
        let failure = CommandFailure.from(error)
        if comm.size > 1 {
            if failure.code == 3 {
                // every rank saw the same global loss at the same step: leave together, cleanly
                if comm.rank == 0 { FileHandle.standardError.write(Data("error: \(failure.message)\n".utf8)) }
                comm.finalize()
                Foundation.exit(3)
            }
            if comm.rank != 0 { usleep(1_500_000) }
            comm.abort(message: failure.message, code: failure.code)
        }
        comm.finalize()
        throw failure
    }
}

extension CommKind: ExpressibleByArgument {}
