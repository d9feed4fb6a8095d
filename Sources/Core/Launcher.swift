// Which launcher started this process: the environment variables an MPI launcher (Open MPI's
// mpirun, PMIx, Slurm's srun with PMI) sets in every rank. Used to pick the communicator and to
// decide whether stdout is really the user's terminal.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The variables a launcher sets in each rank.
public let mpiLauncherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"]

/// True when this process was started by an MPI launcher.
public func launchedByMPI() -> Bool {
    mpiLauncherVariables.contains { getenv($0) != nil }
}
