// How much memory this process can still take: the least of its cgroup's limit (v2 memory.max
// minus memory.current, or v1's limit_in_bytes minus usage_in_bytes) and the machine's
// MemAvailable, each shared among the ranks on this node, and its address-space limit
// (RLIMIT_AS, as `ulimit -v` and cluster schedulers set) minus what it has mapped already.
// Linux only: elsewhere (or when /proc is absent) every bound reads as unknown.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

public struct SystemMemory: Sendable {
    /// Bytes this rank may still allocate, and which bound set it; nil when nothing is known.
    public var available: Int?
    public var boundBy = ""
    /// This process's resident and virtual size now (VmRSS, VmSize), bytes.
    public var resident = 0, virtual = 0

    /// Reads the bounds now; `ranksOnNode` ranks share the cgroup and the machine.
    public static func current(ranksOnNode: Int = ranksOnThisNode()) -> SystemMemory {
        var m = SystemMemory()
        let status = processStatus()
        m.resident = kilobytes(status, "VmRSS:") * 1024
        m.virtual = kilobytes(status, "VmSize:") * 1024
        let share = max(ranksOnNode, 1)
        var bounds: [(Int, String)] = []
        let info = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let free = kilobytes(info, "MemAvailable:") * 1024
        if free > 0 { bounds.append((free / share, share > 1 ? "MemAvailable / \(share) ranks on this node" : "MemAvailable")) }
        if let (limit, used) = cgroupLimit() {
            bounds.append((max(limit - used, 0) / share, "the cgroup's memory limit" + (share > 1 ? " / \(share) ranks" : "")))
        }
        var rl = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &rl) == 0, rl.rlim_cur != rlim_t.max {     // rlim_t.max: RLIM_INFINITY
            let limit = Int(clamping: rl.rlim_cur)
            bounds.append((max(limit - m.virtual, 0), "RLIMIT_AS (ulimit -v) less the \(m.virtual >> 20) MiB already mapped"))
        }
        if let least = bounds.min(by: { $0.0 < $1.0 }) { m.available = least.0; m.boundBy = least.1 }
        return m
    }

    /// Ranks of this job on this node, from the launcher's environment (1 when unknown).
    public static func ranksOnThisNode() -> Int {
        let env = ProcessInfo.processInfo.environment
        for key in ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"] {
            if let v = env[key].flatMap({ Int($0.split(separator: "(").first ?? "") }), v > 0 { return v }
        }
        return 1
    }

    /// This process's peak resident set size (VmHWM) in bytes; nil where /proc is absent.
    public static func peakResident() -> Int? {
        let status = processStatus()
        return status.isEmpty ? nil : kilobytes(status, "VmHWM:") * 1024
    }

    private static func processStatus() -> String {
        (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    }

    private static func kilobytes(_ text: String, _ key: String) -> Int {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
        return line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    }

    /// (limit, usage) in bytes of this process's memory cgroup, nil when unlimited or unknown.
    private static func cgroupLimit() -> (Int, Int)? {
        let groups = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        func read(_ path: String) -> Int? {
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        for line in groups.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3 else { continue }
            if parts[0] == "0", parts[1].isEmpty {                              // cgroup v2
                let dir = "/sys/fs/cgroup" + (parts[2] == "/" ? "" : parts[2])
                if let limit = read(dir + "/memory.max"), let used = read(dir + "/memory.current") { return (limit, used) }
            } else if parts[1].split(separator: ",").contains("memory") {        // cgroup v1
                let dir = "/sys/fs/cgroup/memory" + (parts[2] == "/" ? "" : parts[2])
                if let limit = read(dir + "/memory.limit_in_bytes"), limit < 1 << 60,
                   let used = read(dir + "/memory.usage_in_bytes") { return (limit, used) }
            }
        }
        return nil
    }
}
