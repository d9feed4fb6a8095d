// The CPU check of the dtrain executable: the flags of /proc/cpuinfo text, which of avx2/fma a
// build for AVX2+FMA misses, the one-line message, and cpuMismatch on made-up cpuinfo files.

import Foundation
import NN
import Training
import XCTest

final class CPUFeaturesTests: XCTestCase {
    private let sample = """
        processor\t: 0
        vendor_id\t: AuthenticAMD
        model name\t: AMD EPYC 7B13
        flags\t\t: fpu vme de pse sse sse2 ssse3 fma cx16 sse4_1 sse4_2 avx f16c avx2 bmi2
        bugs\t\t: sysret_ss_attrs

        processor\t: 1
        flags\t\t: fpu sse sse2
        """

    func testFlagsOfTheFirstFlagsLine() {
        let flags = cpuFlags(fromCPUInfo: sample)
        XCTAssertTrue(flags.isSuperset(of: ["fpu", "sse2", "fma", "avx", "avx2", "bmi2"]))
        XCTAssertFalse(flags.contains("flags"))
        XCTAssertFalse(flags.contains(":"))
        XCTAssertFalse(flags.contains("sysret_ss_attrs"), "the bugs line is not the flags line")
        XCTAssertEqual(cpuFlags(fromCPUInfo: "flags: a  b\tc\n"), ["a", "b", "c"])
        XCTAssertEqual(cpuFlags(fromCPUInfo: "processor : 0\nFeatures : fp asimd\n"), [], "no flags line (arm64)")
        XCTAssertEqual(cpuFlags(fromCPUInfo: ""), [])
    }

    func testMissingFeatures() {
        XCTAssertEqual(missingCPUFeatures(flags: ["avx2", "fma", "sse2"], builtForAVX2FMA: true), [])
        XCTAssertEqual(missingCPUFeatures(flags: ["avx", "fma"], builtForAVX2FMA: true), ["avx2"])
        XCTAssertEqual(missingCPUFeatures(flags: ["sse2"], builtForAVX2FMA: true), ["avx2", "fma"])
        XCTAssertEqual(missingCPUFeatures(flags: ["sse2"], builtForAVX2FMA: false), [], "a portable build needs nothing")
    }

    func testMessage() {
        XCTAssertNil(cpuMismatchMessage(missing: []))
        XCTAssertEqual(cpuMismatchMessage(missing: ["avx2"]),
                       "this dtrain was built for AVX2+FMA but this CPU lacks avx2 (rebuild on this node, or build with DTRAIN_PORTABLE=1)")
        XCTAssertEqual(cpuMismatchMessage(missing: ["avx2", "fma"]),
                       "this dtrain was built for AVX2+FMA but this CPU lacks avx2 and fma (rebuild on this node, or build with DTRAIN_PORTABLE=1)")
    }

    func testMismatchOnMadeUpCPUInfo() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cpuinfo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let old = folder.appendingPathComponent("old").path, new = folder.appendingPathComponent("new").path
        try "processor\t: 0\nflags\t\t: fpu sse sse2 avx\n".write(toFile: old, atomically: true, encoding: .utf8)
        try sample.write(toFile: new, atomically: true, encoding: .utf8)
        XCTAssertNil(cpuMismatch(cpuinfoPath: new))
        XCTAssertNil(cpuMismatch(cpuinfoPath: folder.appendingPathComponent("missing").path), "unreadable: no check")
        if builtForAVX2FMA {
            XCTAssertEqual(cpuMismatch(cpuinfoPath: old), cpuMismatchMessage(missing: ["avx2", "fma"]))
        } else {
            XCTAssertNil(cpuMismatch(cpuinfoPath: old), "a portable build runs anywhere")
        }
    }

    /// This machine built the package, so it runs it.
    func testThisMachineRunsThisBuild() {
        XCTAssertNil(cpuMismatch())
    }
}
