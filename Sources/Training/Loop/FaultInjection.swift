// Fault injection for testing what users meet on real clusters: DTRAIN_INJECT_DELAY=R@S:SECONDS
// makes rank R sleep SECONDS before the gradient exchange of global step S (a straggler), which
// the stall warning must name. Unset in normal runs: then it costs one comparison per step.

import Core
import Foundation

struct FaultInjection {
    var rank = -1, step = -1, seconds = 0.0

    static func fromEnvironment() -> FaultInjection {
        guard let spec = ProcessInfo.processInfo.environment["DTRAIN_INJECT_DELAY"] else { return FaultInjection() }
        let parts = spec.split(whereSeparator: { $0 == "@" || $0 == ":" }).map(String.init)
        guard parts.count == 3, let r = Int(parts[0]), let s = Int(parts[1]), let t = Double(parts[2]) else {
            return FaultInjection()
        }
        return FaultInjection(rank: r, step: s, seconds: t)
    }

    @inline(__always)
    func delayIfAsked(rank r: Int, step s: Int) {
        if r == rank && s == step { usleep(UInt32(seconds * 1_000_000)) }
    }
}
