// Choosing a communicator: MPI when the process was started by mpirun (or srun with PMI/PMIx),
// the single-process LocalCommunicator otherwise. Leaves out reading hostfiles or spawning ranks.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Core

/// Which backend to use; `auto` picks MPI exactly when `launchedByMPI()`.
public enum CommKind: String, CaseIterable {
    case auto, local, mpi
}

/// Why a communicator could not be made.
public enum CommunicatorError: Error, CustomStringConvertible {
    case mpiAlreadyFinalized
    case mpiFailed(call: String, message: String)

    public var description: String {
        switch self {
        case .mpiAlreadyFinalized:
            return "MPI was already finalized in this process; it cannot be initialised again"
        case let .mpiFailed(call, message):
            return "\(call) failed: \(message)"
        }
    }
}

/// A communicator of the requested kind. `.mpi` initialises MPI (once per process; a singleton
/// of size 1 when not under mpirun); `.local` never touches MPI.
public func makeCommunicator(_ kind: CommKind) throws -> Communicator {
    switch kind {
    case .local:
        return LocalCommunicator()
    case .mpi:
        return try MPICommunicator()
    case .auto:
        return launchedByMPI() ? try MPICommunicator() : LocalCommunicator()
    }
}
