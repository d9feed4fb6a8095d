// launch/slurm.sbatch run by a real Slurm: launch/tests/slurm-cluster brings up a single-node
// cluster on this machine (Debian's slurm-wlm and munge, installed when missing; slurmctld and
// slurmd on localhost, stopped again whatever happens), the batch script is submitted with two
// tasks and waited for, and the job must end with the parameter checksum of the same run under
// mpirun -np 2. Skipped unless root, and skipped with the reason when the cluster cannot be
// brought up (no apt-get, no network for the packages, a daemon that will not start).

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

final class SlurmTests: XCTestCase {
    /// "replicas identical on 2 ranks (parameter checksum 0123abcd...)" -> "0123abcd...".
    private func checksum(_ output: String) -> String? {
        guard let r = output.range(of: #"replicas identical on \d+ ranks? \(parameter checksum ([0-9a-f]+)\)"#, options: .regularExpression)
        else { return nil }
        let line = output[r]
        return line.split(separator: " ").last.map { String($0.dropLast()) }
    }

    func testBatchScriptUnderSlurmMatchesMpirun() throws {
        guard getuid() == 0 else { throw XCTSkip("the Slurm test needs root: it starts slurmctld, slurmd and munged") }
        let binary = try dtrainBinary()
        let tmp = try makeTempFolder("slurm")
        let run = ["train", "--config", lenetConfig]
            + sets(["train.epochs": 1, "data.path": try SmallMNIST.folder(), "data.validation": SmallMNIST.validation,
                    "train.batch_size": 16])

        let reference = try dtrain(run + sets(["output": tmp + "/mpirun"]), ranks: 2)
        assertSucceeded(reference, "the same run under mpirun -np 2")
        let expected = try XCTUnwrap(checksum(reference.stdout), "no checksum in the mpirun run:\n\(reference)")

        let job = try runProcess(packageRoot + "/launch/tests/slurm-cluster",
                                 [tmp + "/cluster", "sbatch", "--wait", "--quiet", "--nodes=1", "--ntasks=2", "--ntasks-per-node=2",
                                  "--time=00:05:00", "--output=\(tmp)/job-%j.out", "launch/slurm.sbatch"]
                                 + run + sets(["output": tmp + "/slurm"]),
                                 env: ["DTRAIN_BINARY": binary], timeout: 420)
        if job.status == 77 { throw XCTSkip("no Slurm cluster on this machine: \(job.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
        let outputs = try FileManager.default.contentsOfDirectory(atPath: tmp).filter { $0.hasPrefix("job-") }
        let log = try outputs.first.map { try String(contentsOfFile: tmp + "/" + $0, encoding: .utf8) } ?? ""
        assertSucceeded(job, "sbatch --wait launch/slurm.sbatch (job output:\n\(log))")
        XCTAssertEqual(outputs.count, 1, "one job output file, found \(outputs)")
        XCTAssertTrue(log.contains("slurm.sbatch: starting 2 ranks with "), "the script did not name its launcher:\n\(log)")
        XCTAssertTrue(log.contains("world size 2 (mpi)"), "the job did not run 2 MPI ranks:\n\(log)")
        XCTAssertEqual(checksum(log), expected, "the Slurm job's parameters differ from mpirun's:\n\(log)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp + "/slurm/latest.safetensors"), "no checkpoint from the Slurm job")
    }
}
