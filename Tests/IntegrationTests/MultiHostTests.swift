// Two "machines" on one: network namespaces dtA/dtB joined by a veth pair (10.77.0.1 and
// 10.77.0.2, nothing else), mpirun in dtA reaching dtB through a launch agent that enters the
// namespace instead of ssh, TCP transport only. The 2-rank job must end with the same weights as
// the same job on one host. Skipped where namespaces cannot be made (not root, no `ip`, EPERM).

#if canImport(Glibc)
import Core
import Glibc
#endif
import Foundation
import XCTest
import Training

final class MultiHostTests: XCTestCase {
    /// The two namespaces and the veth pair, named per test process so parallel runs do not collide.
    private struct Namespaces {
        let suffix = "\(getpid() % 100_000)"
        var hostA: String { "dtA\(suffix)" }
        var hostB: String { "dtB\(suffix)" }
        var linkA: String { "vA\(suffix)" }
        var linkB: String { "vB\(suffix)" }
    }

    /// 20 steps of LeNet-5 (batch 32 per rank) over TCP between the namespaces and in shared
    /// memory on one host: every tensor of latest.safetensors agrees within 1e-6.
    func testTwoHostsOverVethMatchSingleHost() throws {
        let ip = try requireNamespaces()
        let ns = Namespaces()
        addTeardownBlock { Self.removeNamespaces(ns, ip: ip) }
        try createNamespaces(ns, ip: ip)

        let tmp = try makeTempFolder("multihost")
        let agent = tmp + "/netns-agent"
        // Open MPI calls `agent HOST COMMAND...` where COMMAND is meant for a remote shell.
        try "#!/bin/sh\n# launch agent: run the daemon in the second \"host\" (namespace \(ns.hostB)) instead of over ssh\nshift\nexec \(ip) netns exec \(ns.hostB) /bin/sh -c \"$*\"\n"
            .write(toFile: agent, atomically: true, encoding: .utf8)
        chmod(agent, 0o755)
        try "10.77.0.1 slots=1\n10.77.0.2 slots=1\n".write(toFile: tmp + "/hostfile", atomically: true, encoding: .utf8)

        let data = try SmallMNIST.folder()
        func job(_ output: String) -> [String] {
            ["train", "--config", lenetConfig]
                + sets(["data.path": data, "data.validation": SmallMNIST.validation, "train.batch_size": 32,
                        "train.max_steps": 20, "train.epochs": 1, "train.schedule": "constant", "output": output])
        }
        let binary = try dtrainBinary()
        let mpirun = try XCTUnwrap(findInPath("mpirun"), "mpirun is not on PATH")

        let twoHosts = try runProcess(ip, ["netns", "exec", ns.hostA, mpirun, "-np", "2", "--hostfile", tmp + "/hostfile",
                                           "--mca", "plm_rsh_agent", agent, "--mca", "plm_rsh_no_tree_spawn", "1",
                                           "--mca", "pml", "ob1", "--mca", "btl", "tcp,self",
                                           "--mca", "btl_tcp_if_include", "10.77.0.0/24", "--mca", "oob_tcp_if_include", "10.77.0.0/24",
                                           "-x", "OPENBLAS_NUM_THREADS", "-x", "DTRAIN_PROGRESS", binary] + job(tmp + "/two-hosts"),
                                      timeout: 120)
        assertSucceeded(twoHosts, "2 ranks on two namespaces over TCP")
        let oneHost = try dtrain(job(tmp + "/one-host"), ranks: 2, timeout: 120)
        assertSucceeded(oneHost, "2 ranks on one host")
        guard twoHosts.status == 0, oneHost.status == 0 else { return }

        let c = try compareTensors(tmp + "/two-hosts/latest.safetensors", tmp + "/one-host/latest.safetensors")
        XCTAssertLessThanOrEqual(c.maxDifference, 1e-6, "two hosts vs one host: max |difference| \(c.maxDifference) in \(c.worst)")
        print("two namespaces over TCP vs one host: max |difference| \(c.maxDifference)\(c.bitEqual ? " (bit-identical)" : "")")
    }

    // MARK: - Namespaces

    private func requireNamespaces() throws -> String { try requireNetworkNamespaces("multi-host test") }

    /// dtA and dtB joined by a veth pair with 10.77.0.1/24 and 10.77.0.2/24; loopback up in both.
    private func createNamespaces(_ ns: Namespaces, ip: String) throws {
        Self.removeNamespaces(ns, ip: ip)       // leftovers of a killed earlier run
        let steps: [[String]] = [
            ["netns", "add", ns.hostA], ["netns", "add", ns.hostB],
            ["link", "add", ns.linkA, "type", "veth", "peer", "name", ns.linkB],
            ["link", "set", ns.linkA, "netns", ns.hostA], ["link", "set", ns.linkB, "netns", ns.hostB],
            ["-n", ns.hostA, "addr", "add", "10.77.0.1/24", "dev", ns.linkA], ["-n", ns.hostB, "addr", "add", "10.77.0.2/24", "dev", ns.linkB],
            ["-n", ns.hostA, "link", "set", ns.linkA, "up"], ["-n", ns.hostB, "link", "set", ns.linkB, "up"],
            ["-n", ns.hostA, "link", "set", "lo", "up"], ["-n", ns.hostB, "link", "set", "lo", "up"],
        ]
        for args in steps {
            let r = try runProcess(ip, args, timeout: 20)
            if r.status != 0 {
                let why = r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
                if why.contains("Operation not permitted") { throw XCTSkip("ip \(args.joined(separator: " ")): \(why): multi-host test skipped") }
                throw SupportError("ip \(args.joined(separator: " ")) failed: \(why)")
            }
        }
    }

    /// Kills whatever still runs in the namespaces, then deletes them (which removes the veth pair).
    private static func removeNamespaces(_ ns: Namespaces, ip: String) {
        for name in [ns.hostA, ns.hostB] {
            if let pids = try? runProcess(ip, ["netns", "pids", name], timeout: 20), pids.status == 0 {
                for pid in pids.stdout.split(separator: "\n").compactMap({ pid_t($0.trimmingCharacters(in: .whitespaces)) }) { kill(pid, SIGKILL) }
            }
            _ = try? runProcess(ip, ["netns", "del", name], timeout: 20)
        }
        _ = try? runProcess(ip, ["link", "del", ns.linkA], timeout: 20)     // only if it never left this namespace
    }
}
