// How a failure ends the process: one line on stderr and the documented exit code. The one map
// from errors to exit codes is here: `CommandFailure.from` for what a command's run() throws,
// `CommandFailure.arguments` for what the argument parser (and every validate()) throws. Under MPI
// a failing rank takes the whole job down with MPI_Abort (never leaving the others blocked in a
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

    /// An error of the argument parser or of a command's validate(): bad input, exit 2 (an
    /// ExitCode keeps its own), one line with the parser's hint folded in.
    static func arguments(_ error: Error) -> CommandFailure {
        var message = DTrain.message(for: error)
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "; ")
        let full = DTrain.fullMessage(for: error)
        if let start = full.range(of: "See '"), let end = full.range(of: "' for more", range: start.upperBound..<full.endIndex) {
            message += " (see '\(full[start.upperBound..<end.lowerBound])')"
        }
        if let code = error as? ExitCode { return CommandFailure(message: message, code: code.rawValue) }
        return CommandFailure(message: message, code: 2)
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
    // a failed allocation (Core/Memory/CheckedAllocation.swift) takes the whole job down
    AllocationFailure.handler = { message in comm.abort(message: message, code: 1) }
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
