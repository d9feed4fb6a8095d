// Does this CPU run this build? NN is built for AVX2 + FMA when the building machine had them
// (NN.builtForAVX2FMA); a binary copied to an older node would die with SIGILL in the first
// kernel. This file is compiled without those flags (Training has no -mavx2), so the check itself
// runs on any x86-64. Reads the flags of /proc/cpuinfo; where that file is missing or has no
// flags line (not Linux, not x86), nothing is checked.

import Foundation
import NN

/// The CPU feature flags on the first "flags" line of /proc/cpuinfo text ("flags\t\t: fpu vme
/// ... avx2 fma ..."); empty when there is none.
public func cpuFlags(fromCPUInfo text: String) -> Set<String> {
    for line in text.split(whereSeparator: \.isNewline) {
        guard let colon = line.firstIndex(of: ":"),
              line[..<colon].trimmingCharacters(in: .whitespaces) == "flags" else { continue }
        return Set(line[line.index(after: colon)...].split(whereSeparator: \.isWhitespace).map(String.init))
    }
    return []
}

/// The features the build needs that `flags` lacks, in the order avx2, fma; empty when none
/// are needed or all are present.
public func missingCPUFeatures(flags: Set<String>, builtForAVX2FMA: Bool) -> [String] {
    guard builtForAVX2FMA else { return [] }
    return ["avx2", "fma"].filter { !flags.contains($0) }
}

/// The one-line message for a build that needs `missing`, or nil when nothing is missing.
public func cpuMismatchMessage(missing: [String]) -> String? {
    guard !missing.isEmpty else { return nil }
    return "this dtrain was built for AVX2+FMA but this CPU lacks \(missing.joined(separator: " and ")) "
        + "(rebuild on this node, or build with DTRAIN_PORTABLE=1)"
}

/// Why this CPU cannot run this build (one line), or nil when it can or cannot be told
/// (/proc/cpuinfo unreadable or without a flags line).
public func cpuMismatch(cpuinfoPath: String = "/proc/cpuinfo") -> String? {
    guard builtForAVX2FMA,
          let text = try? String(contentsOfFile: cpuinfoPath, encoding: .utf8) else { return nil }
    let flags = cpuFlags(fromCPUInfo: text)
    guard !flags.isEmpty else { return nil }
    return cpuMismatchMessage(missing: missingCPUFeatures(flags: flags, builtForAVX2FMA: true))
}
