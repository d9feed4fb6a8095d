// launch/scale --link: the emulated link (two network namespaces over a shaped veth pair). A tiny
// sweep over a 1 Gbit link writes its points, the link's fit and the measured-beside-projected
// table; a rate that does not parse and a link without root exit 2 with one line; and the
// namespaces are removed when the sweep ends, when a run in it fails, and when the script is
// interrupted (SIGINT, SIGTERM) in the middle. Root only where namespaces are made; skipped otherwise.

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

final class EmulatedLinkTests: XCTestCase {
    private let script = packageRoot + "/launch/scale"

    private func scale(_ args: [String], timeout: TimeInterval = 240) throws -> RunResult {
        try runProcess(script, args, env: ["DTRAIN": try dtrainBinary()], timeout: timeout)
    }

    /// The tiny sweep's arguments: LeNet-5 on the small MNIST, np=2, a few steps, small messages.
    private func tinySweep(out: String, rate: String = "1gbit", compress: String = "none fp16",
                           sizes: String = "4,4K,64K,256K") throws -> [String] {
        ["--link", rate, "--link-configs", "configs/lenet5.yaml", "--link-np", "2", "--compress", compress,
         "--steps", "5", "--warmup", "1", "--sizes", sizes, "--out", out,
         "--set", "data.path=\(try SmallMNIST.folder())", "--set", "data.validation=\(SmallMNIST.validation)"]
    }

    func testRateThatDoesNotParseExitsTwoNamingIt() throws {
        for rate in ["1gbps", "fast", "-1gbit", "0gbit", "1.2.3mbit"] {
            let r = try scale(["--link", rate, "--out", try makeTempFolder("link-bad")], timeout: 30)
            XCTAssertEqual(r.status, 2, "--link \(rate)\n\(r)")
            XCTAssertTrue(r.stderr.contains("'\(rate)'") && r.stderr.contains("gbit"), "--link \(rate): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
        }
    }

    func testLinkWithoutRootExitsTwo() throws {
        var args = ["--link", "1gbit", "--out", "/tmp"]
        var runner = script
        if geteuid() == 0 {
            guard let setpriv = findInPath("setpriv") else { throw XCTSkip("setpriv is not installed: cannot drop root for this test") }
            runner = setpriv
            args = ["--reuid", "65534", "--regid", "65534", "--clear-groups", script] + args
        }
        let r = try runProcess(runner, args, env: ["DTRAIN": try dtrainBinary()], timeout: 30)
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stderr.contains("--link needs root"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
    }

    /// 1 Gbit link, LeNet-5 at np=2 in fp32 and fp16: the points, the link's fit and the report's
    /// comparison; afterwards no namespace of the run is left.
    func testTinySweepOverOneGigabitComparesMeasuredWithProjected() throws {
        try requireNamespaces()
        let out = try makeTempFolder("link-sweep")
        let r = try scale(try tinySweep(out: out))
        assertSucceeded(r, "launch/scale --link 1gbit")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/comm-fit-1gbit.json"), "the link's fit\n\(r)")
        let lines = try String(contentsOfFile: out + "/points.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4, "np=1 per wire format and two wire formats on the link:\n\(lines.joined(separator: "\n"))")
        XCTAssertEqual(lines.filter { $0.contains("\"np\": 1,") && $0.contains("\"compress\": \"fp16\"") && !$0.contains("\"link\": ") }.count, 1,
                       "np=1 in fp16 (its conversions), off the link")
        XCTAssertEqual(lines.filter { $0.contains("\"link\": \"1gbit\"") && $0.contains("\"status\": \"ok\"") }.count, 2, "\(r)")
        let md = try String(contentsOfFile: out + "/scale.md", encoding: .utf8)
        XCTAssertTrue(md.contains("## Emulated links: measured against projected"), md)
        XCTAssertTrue(md.contains("| 1gbit | lenet5 | fp32 | 2 | 1 |") && md.contains("| 1gbit | lenet5 | fp16 | 2 | 1 |"), md)
        XCTAssertTrue(md.contains("(0.50x)"), "fp16 halves the bytes per step:\n\(md)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/link-lenet5-np2.svg"))
        XCTAssertTrue(r.stdout.contains("emulated links: measured beside projected"), r.stdout)
        XCTAssertEqual(try leftovers(), [], "namespaces left after the sweep")
    }

    /// A run that fails inside the sweep (a config key that does not exist): the point is recorded
    /// as failed, the script ends, and the namespaces are gone.
    func testLinkIsRemovedWhenARunFails() throws {
        try requireNamespaces()
        let out = try makeTempFolder("link-fail")
        let r = try scale(try tinySweep(out: out, compress: "none") + ["--set", "train.no_such_key=1"])
        XCTAssertTrue(try String(contentsOfFile: out + "/points.jsonl", encoding: .utf8).contains("\"status\": \"failed\""), "\(r)")
        XCTAssertEqual(try leftovers(), [], "namespaces left after a failed run\n\(r)")
    }

    func testLinkIsRemovedWhenInterruptedBySIGINT() throws { try interrupted(by: SIGINT) }
    func testLinkIsRemovedWhenTerminatedBySIGTERM() throws { try interrupted(by: SIGTERM) }

    /// Starts a sweep that would run for minutes (the link's fit: 64 MiB allreduces over 100 Mbit/s),
    /// waits until its namespaces exist, signals the script, and expects it to end within 30 s with
    /// no namespace and no process in one left.
    private func interrupted(by signal: Int32) throws {
        try requireNamespaces()
        let out = try makeTempFolder("link-interrupt")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: script)
        p.arguments = try tinySweep(out: out, rate: "100mbit", compress: "none", sizes: "64M")
        p.environment = ProcessInfo.processInfo.environment.merging(
            ["DTRAIN": try dtrainBinary(), "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]) { $1 }
        p.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let name = "dtlA\(p.processIdentifier)"
        let made = Date().addingTimeInterval(120)
        while !(try namespaces().contains(name)) && p.isRunning && Date() < made { usleep(100_000) }
        XCTAssertTrue(try namespaces().contains(name), "namespace \(name) never appeared")
        sleep(2)                                   // into the link's allreduce fit
        kill(p.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(30)
        while p.isRunning && Date() < deadline { usleep(100_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL); XCTFail("launch/scale still running 30 s after signal \(signal)") }
        p.waitUntilExit()
        XCTAssertEqual(try leftovers(), [], "namespaces left after signal \(signal)")
        if let pgrep = findInPath("pgrep") {
            let left = try runProcess(pgrep, ["-af", "\(try dtrainBinary()) bench"], timeout: 20)
            XCTAssertEqual(left.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "", "processes of the sweep left after signal \(signal)")
        }
    }

    // MARK: - Namespaces

    /// Namespaces can be made here and `tc` is installed; a skip saying why not otherwise.
    private func requireNamespaces() throws {
        _ = try requireNetworkNamespaces("emulated-link test")
        guard findInPath("tc") != nil || FileManager.default.isExecutableFile(atPath: "/usr/sbin/tc") else {
            throw XCTSkip("`tc` (iproute2) is not installed: emulated-link test skipped")
        }
    }

    /// The names of this machine's network namespaces.
    private func namespaces() throws -> [String] {
        guard let ip = ipCommand() else { return [] }
        return try runProcess(ip, ["netns", "list"], timeout: 20).stdout.split(separator: "\n")
            .map { String($0.split(separator: " ").first ?? "") }
    }

    /// The emulated link's namespaces still present (the names launch/scale gives them).
    private func leftovers() throws -> [String] {
        try namespaces().filter { $0.hasPrefix("dtlA") || $0.hasPrefix("dtlB") }
    }
}
