// What several commands share: the --comm option and the argument checks their validate() runs.
// validate() runs while parsing, before any communicator or file is touched; what it throws
// ends the process with exit 2 and one "error: ..." line (DTrain.swift).

import ArgumentParser
import Foundation
import NN
import Collective

/// --comm, for every command that makes a communicator.
struct CommOptions: ParsableArguments {
    @Option(name: .long, help: "Communicator: auto (MPI when started by mpirun), local or mpi.")
    var comm: CommKind = .auto
}

extension CommKind: ExpressibleByArgument {}

/// Throws unless `value` > 0.
func requirePositive(_ value: Int, _ option: String, _ what: String = "number") throws {
    guard value > 0 else { throw ValidationError("\(option) \(value): expected a positive \(what)") }
}

/// Throws unless `value` >= 0.
func requireNonNegative(_ value: Int, _ option: String, _ what: String = "number") throws {
    guard value >= 0 else { throw ValidationError("\(option) \(value): expected zero or a positive \(what)") }
}

/// "C,H,W" as a Shape of three positive integers.
func parseShape(_ text: String, _ option: String) throws -> Shape {
    let dims = text.split(separator: ",", omittingEmptySubsequences: false)
        .map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard dims.count == 3, let c = dims[0], let h = dims[1], let w = dims[2], c > 0, h > 0, w > 0 else {
        throw ValidationError("\(option) \(text): expected C,H,W, three positive integers (e.g. 3,227,227)")
    }
    return Shape(c, h, w)
}
