// The per-rank step timeline: reads a run folder's trace.json (written by `dtrain train --trace`)
// and draws one lane per rank with a coloured bar per phase (data, forward, backward, wait,
// allreduce, optimizer), so stragglers and the share of the exchange are visible at a glance.

import Core
import Foundation

enum TimelineFigures {
    struct Event { var rank: Int; var phase: String; var start: Double; var duration: Double }

    static let phases = ["data", "forward", "backward", "wait", "allreduce", "optimizer"]

    static func all(_ runs: [RunRecord]) -> [Figure] {
        runs.compactMap { run -> Figure? in
            guard let events = load(run.folder + "/trace.json"), !events.isEmpty else { return nil }
            let suffix = runs.count > 1 ? "-" + run.name.filter { $0.isLetter || $0.isNumber || "-_.".contains($0) } : ""
            return Figure(file: "timeline\(suffix).svg", section: "Step timeline", svg: svg(events, of: runs.count > 1 ? " (\(run.name))" : ""))
        }
    }

    /// Events of a Chrome trace-event file ("ph": "X" only); nil when absent or unreadable.
    static func load(_ path: String) -> [Event]? {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = object["traceEvents"] as? [[String: Any]] else { return nil }
        return list.compactMap { e in
            guard e["ph"] as? String == "X", let name = e["name"] as? String,
                  let pid = (e["pid"] as? NSNumber)?.intValue,
                  let ts = (e["ts"] as? NSNumber)?.doubleValue, let dur = (e["dur"] as? NSNumber)?.doubleValue else { return nil }
            return Event(rank: pid, phase: name, start: ts, duration: dur)
        }
    }

    static func svg(_ events: [Event], of: String) -> String {
        let ranks = (events.map(\.rank).max() ?? 0) + 1
        let end = events.map { $0.start + $0.duration }.max() ?? 1
        let left = 70.0, top = 60.0, lane = 26.0, width = 900.0
        let plotWidth = width - left - 20
        var w = SVGWriter(width: width, height: top + Double(ranks) * lane + 70,
                          title: "Step timeline\(of)", subtitle: "one lane per rank; time in ms from the first traced step")
        for r in 0..<ranks {
            let y = top + Double(r) * lane
            w.text("rank \(r)", x: left - 8, y: y + lane * 0.65, size: 11, anchor: .end)
            w.rect(x: left, y: y + 2, width: plotWidth, height: lane - 4, fill: "#f4f4f4")
        }
        for e in events {
            let i = phases.firstIndex(of: e.phase) ?? phases.count
            let x = left + plotWidth * e.start / end
            let barWidth = max(plotWidth * e.duration / end, 0.3)
            w.rect(x: x, y: top + Double(e.rank) * lane + 4, width: barWidth, height: lane - 8, fill: Palette.phase(i))
        }
        let axisY = top + Double(ranks) * lane + 4
        for k in 0...5 {
            let t = end * Double(k) / 5
            let x = left + plotWidth * Double(k) / 5
            w.line(x, axisY, x, axisY + 4, stroke: "#555555")
            w.text(String(format: "%.1f", t / 1000), x: x, y: axisY + 16, size: 10, anchor: .middle)
        }
        var x = left
        for (i, phase) in phases.enumerated() {
            w.rect(x: x, y: axisY + 28, width: 12, height: 12, fill: Palette.phase(i))
            w.text(phase, x: x + 16, y: axisY + 38, size: 11)
            x += 20 + textWidth(phase, size: 11) + 16
        }
        return w.render()
    }
}
