// Fault injection for testing what users meet on real clusters: DTRAIN_INJECT_DELAY=R@S:SECONDS
// makes rank R sleep SECONDS before the gradient exchange of global step S (a straggler), which
// the stall warning must name. A step observer, added only on the rank it delays and always called
// last (right before the stall check, after e.g. the benchmark's own barrier).

import Core
import Foundation
import NN

final class FaultInjection: StepObserver {
    let step: Int, seconds: Double

    init(step: Int, seconds: Double) {
        self.step = step; self.seconds = seconds
    }

    /// The delay DTRAIN_INJECT_DELAY asks of rank `myRank`; nil when unset, malformed or for another rank.
    static func fromEnvironment(rank myRank: Int) -> FaultInjection? {
        guard let spec = ProcessInfo.processInfo.environment["DTRAIN_INJECT_DELAY"] else { return nil }
        let parts = spec.split(whereSeparator: { $0 == "@" || $0 == ":" }).map(String.init)
        guard parts.count == 3, let r = Int(parts[0]), let s = Int(parts[1]), let t = Double(parts[2]), r == myRank else {
            return nil
        }
        return FaultInjection(step: s, seconds: t)
    }

    func beforeExchange(step s: Int, buffer: ExchangeBuffer) {
        if s == step { usleep(UInt32(seconds * 1_000_000)) }
    }
}
