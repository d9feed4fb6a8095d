// How long this process has existed: Linux's start time of the process (/proc/self/stat field 22,
// clock ticks since boot) against the time since boot (/proc/uptime). Resolution one clock tick
// (10 ms at the usual 100 Hz). It covers what a clock started in main() cannot: exec, dynamic
// loading and the runtime's start. nil where /proc is missing or unreadable (not Linux).

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Seconds since this process started, or nil when the system does not say.
public func processAgeSeconds() -> Double? {
    #if os(Linux)
    guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
          let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
          let since = uptime.split(separator: " ").first.flatMap({ Double($0) }) else { return nil }
    return processAge(stat: stat, uptime: since, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
    #else
    return nil
    #endif
}

/// The age from a /proc/<pid>/stat line and the system's uptime in seconds. The command name
/// (field 2) is in parentheses and may hold spaces or ')', so fields are counted after the last ')'.
public func processAge(stat: String, uptime: Double, ticksPerSecond: Double) -> Double? {
    guard ticksPerSecond > 0, let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // after ')': field 3 (state) is fields[0], so field 22 (starttime) is fields[19]
    guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
    return max(uptime - ticks / ticksPerSecond, 0)
}
