// What one rank's training of a model will allocate, from the plan alone (nothing is allocated):
// parameters, the gradient/exchange buffer, the optimiser's state, activations and their
// gradients at the reserved batch, the layers' workspaces, plus whatever the caller adds (the
// batch loaders, the data set, the process as it runs now). The memory pre-flight compares it with
// what the rank can have; `dtrain summary` prints it.

import Core

public struct MemoryEstimate: Sendable {
    /// Named parts in bytes, in the order printed ("params", "grads", "momentum", ...).
    public var parts: [(name: String, bytes: Int)] = []

    public init() {}

    public var total: Int { parts.reduce(0) { $0 &+ $1.bytes } }

    public mutating func add(_ name: String, bytes: Int) { parts.append((name, max(bytes, 0))) }

    /// The model's share at `batch` samples a pass: parameters, gradients (+ the 3 statistics
    /// floats), the optimiser's state (SGD's momentum, or Adam's two moments), the exact strategy's
    /// 64-bit fixed-point buffer when asked, activations and their gradients for every node, and
    /// every layer's workspaces.
    public static func model(_ plan: NetworkPlan, batch: Int, exactStrategy: Bool = false,
                             optimizer: OptimizerKind = .sgd) -> MemoryEstimate {
        let p = plan.parameterCount
        var e = MemoryEstimate()
        e.add("params", bytes: 4 * p)
        e.add("grads", bytes: 4 * (p + ExchangeBuffer.statisticsCount))
        let states = optimizer.stateSuffixes.count
        e.add(states == 1 ? "momentum" : "\(optimizer.rawValue) moments", bytes: 4 * p * states)
        if exactStrategy { e.add("fixed-point sums", bytes: 8 * (p + 5)) }
        let outputs = plan.nodes.indices.map { plan.outputShape(of: $0).count }
        // every node's output and its gradient, and the fan-out scratch (Network)
        e.add("activations", bytes: 4 * batch * (2 * outputs.reduce(0, +) + (plan.hasFanOut ? outputs.max() ?? 0 : 0)))
        let workspaces = plan.layers.reduce(0) { sum, l in
            sum + Network.makeLayer(l).workspaceFloats(batch: batch, inputGradient: l.source >= 0)
        }
        e.add("workspaces", bytes: 4 * workspaces)
        return e
    }

    /// "19.1 GB" / "41.2 MB": decimal units, one decimal.
    public static func format(_ bytes: Int) -> String {
        let b = Double(bytes)
        if b >= 1e9 { return formatOne(b / 1e9) + " GB" }
        return formatOne(b / 1e6) + " MB"
    }

    /// "params 6.3, grads 6.3, momentum 6.3, activations 0.2" in the unit of `total`, parts that
    /// round to zero left out.
    public var breakdown: String {
        let unit = total >= 1_000_000_000 ? 1e9 : 1e6
        return parts.filter { Double($0.bytes) / unit >= 0.05 }
            .map { "\($0.name) \(Self.formatOne(Double($0.bytes) / unit))" }.joined(separator: ", ")
    }

    private static func formatOne(_ v: Double) -> String {
        let tenths = (v * 10).rounded()
        return "\(Int(tenths) / 10).\(Int(tenths) % 10)"
    }
}
