// torchsummary-style model summary (DESIGN.md "Summary conventions"). One row per spec layer with
// output shape [-1, C, H, W] / [-1, N], Weights, Biases and Param # columns; a block's layers are
// indented under it (named by dot path) and followed by one row for the block itself (its output
// and its layers' parameters, not counted twice in the totals), as torchsummary lists a module
// after its children. "MB" is
// torchsummary's: bytes / 1024^2 at 4 bytes per number. With `exchange` set (`--world N`), the
// gradient bytes the allreduce moves per step, its algorithm and predicted time are added below.

import Core
import Foundation

public struct ModelSummary: Sendable {
    public struct Row: Sendable {
        public var name: String, kind: String, typeName: String
        public var outputShape: Shape
        public var weights: Int, biases: Int
        /// Blocks enclosing the row (a block's own row: the blocks enclosing the block).
        public var depth = 0
        public var params: Int { weights + biases }
    }
    public var modelName: String
    public var input: Shape
    public var rows: [Row]
    public var totalParams: Int
    public var trainableParams: Int { totalParams }
    /// What data parallelism at some world size exchanges per step (nil: not asked for).
    public var exchange: GradientExchange?
    /// What training one rank allocates at `memoryBatch` samples a pass (the memory pre-flight's
    /// model share, SGD with momentum; nil: not asked for).
    public var memory: MemoryEstimate?
    public var memoryBatch = 0

    /// The gradient allreduce of one step at `world` ranks, and its predicted time.
    public struct GradientExchange: Sendable {
        public var world: Int
        public var gradientBytes: Int            // 4 x params: the Float gradient buffer
        public var algorithm: String             // the allreduce priced ("ring", "rabenseifner", ...)
        public var bytesSentPerRank: Double      // on the critical path (ring: 2(N-1)/N x gradientBytes)
        public var predictedSeconds: Double      // the algorithm's alpha-beta-gamma cost (docs/scaling.md)
        public var alphaSeconds: Double, betaSecondsPerByte: Double
        public var source: String                // where alpha and beta came from

        public init(world: Int, gradientBytes: Int, algorithm: String, bytesSentPerRank: Double, predictedSeconds: Double,
                    alphaSeconds: Double, betaSecondsPerByte: Double, source: String) {
            self.world = world
            self.gradientBytes = gradientBytes
            self.algorithm = algorithm
            self.bytesSentPerRank = bytesSentPerRank
            self.predictedSeconds = predictedSeconds
            self.alphaSeconds = alphaSeconds
            self.betaSecondsPerByte = betaSecondsPerByte
            self.source = source
        }
    }

    public var inputSizeMB: Double { Double(input.count) * 4 / 1_048_576 }
    public var forwardBackwardSizeMB: Double { 2 * Double(rows.reduce(0) { $0 + $1.outputShape.count }) * 4 / 1_048_576 }
    public var paramsSizeMB: Double { Double(totalParams) * 4 / 1_048_576 }
    public var totalSizeMB: Double { inputSizeMB + forwardBackwardSizeMB + paramsSizeMB }

    public init(plan: NetworkPlan) {
        modelName = plan.spec.name
        input = plan.input
        rows = plan.nodes.enumerated().map { k, node in
            switch node {
            case .layer(let i):
                let l = plan.layers[i]
                return Row(name: l.name, kind: l.spec.kind.word, typeName: "\(l.typeName)-\(k + 1)",
                           outputShape: l.output, weights: l.weights, biases: l.biases, depth: l.depth)
            case .join(let j):
                let inner = plan.layers[j.layerRange]
                return Row(name: j.name, kind: j.kind.rawValue, typeName: "\(j.kind == .concat ? "Branch" : "Residual")-\(k + 1)",
                           outputShape: j.output, weights: inner.reduce(0) { $0 + $1.weights },
                           biases: inner.reduce(0) { $0 + $1.biases }, depth: j.depth)
            }
        }
        totalParams = plan.parameterCount
    }

    /// The printed table.
    public func table() -> String {
        let header = ["Layer (type)", "Name", "Output Shape", "Weights", "Biases", "Param #"]
        let body = rows.map { [$0.typeName, String(repeating: "  ", count: $0.depth) + $0.name, $0.outputShape.description, grouped($0.weights), grouped($0.biases), grouped($0.params)] }
        var widths = header.map(\.count)
        for r in body { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i < 2 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                      : String(repeating: " ", count: widths[i] - c.count) + c
            }.joined(separator: "   ")
        }
        let width = widths.reduce(0, +) + 3 * (widths.count - 1)
        let rule = String(repeating: "-", count: width), double = String(repeating: "=", count: width)
        var out = "\(modelName): input \(input.dims.map(String.init).joined(separator: "x"))\n"
        out += rule + "\n" + line(header) + "\n" + double + "\n"
        for r in body { out += line(r) + "\n" }
        out += double + "\n"
        out += "Total params: \(grouped(totalParams))\n"
        out += "Trainable params: \(grouped(trainableParams))\n"
        out += "Non-trainable params: 0\n" + rule + "\n"
        out += String(format: "Input size (MB): %.2f\n", inputSizeMB)
        out += String(format: "Forward/backward pass size (MB): %.2f\n", forwardBackwardSizeMB)
        out += String(format: "Params size (MB): %.2f\n", paramsSizeMB)
        out += String(format: "Estimated Total Size (MB): %.2f\n", totalSizeMB)
        out += rule + "\n"
        out += "MB as torchsummary counts it: bytes / 1024^2 at 4 bytes per number; pass size = 2 x every row's output.\n"
        if let e = exchange {
            out += rule + "\n"
            out += "World size: \(e.world) (one allreduce of every gradient per step: \(e.algorithm))\n"
            out += "Gradient bytes per step: \(grouped(e.gradientBytes)) (4 x \(grouped(totalParams)) params)\n"
            out += "Allreduce bytes sent per rank: \(grouped(Int(e.bytesSentPerRank.rounded()))) (\(e.algorithm), critical path)\n"
            out += String(format: "Predicted allreduce per step: %.3f ms (alpha %.2f us, %.2f GB/s: %@)\n",
                          1000 * e.predictedSeconds, 1e6 * e.alphaSeconds, 1e-9 / e.betaSecondsPerByte, e.source)
            out += rule + "\n"
        }
        if let m = memory {
            out += "Training memory per rank at batch \(memoryBatch) (SGD with momentum; the pre-flight's model share, MB = 10^6 bytes):\n"
            out += "  " + m.parts.map { "\($0.name) \(MemoryEstimate.format($0.bytes))" }.joined(separator: ", ") + "\n"
            out += "  total \(MemoryEstimate.format(m.total)), plus the data loaders and the process itself (~30 MB)\n"
        }
        return out
    }

    /// The same figures as one JSON object (DESIGN.md keys).
    public func json() -> String {
        let layers = rows.map { r -> String in
            let shape = "[-1, " + r.outputShape.dims.map(String.init).joined(separator: ", ") + "]"
            return "{\"name\": \(jsonQuoted(r.name)), \"kind\": \"\(r.kind)\", \"output_shape\": \(shape), \"weights\": \(r.weights), \"biases\": \(r.biases), \"params\": \(r.params), \"depth\": \(r.depth)}"
        }
        func mb(_ v: Double) -> String { String(format: "%.2f", v) }
        return "{\"model\": \(jsonQuoted(modelName)), \"input\": [\(input.dims.map(String.init).joined(separator: ", "))], "
            + "\"layers\": [\(layers.joined(separator: ", "))], \"total_params\": \(totalParams), "
            + "\"trainable_params\": \(trainableParams), \"input_size_mb\": \(mb(inputSizeMB)), "
            + "\"forward_backward_size_mb\": \(mb(forwardBackwardSizeMB)), \"params_size_mb\": \(mb(paramsSizeMB)), "
            + "\"total_size_mb\": \(mb(totalSizeMB))\(exchangeJSON())\(memoryJSON())}"
    }
}

extension ModelSummary {
    /// The --batch memory keys, preceded by ", " (empty when not asked for): bytes per part.
    fileprivate func memoryJSON() -> String {
        guard let m = memory else { return "" }
        return ", \"memory_batch\": \(memoryBatch), \"memory_bytes\": {"
            + m.parts.map { "\(jsonQuoted($0.name)): \($0.bytes)" }.joined(separator: ", ") + "}, \"memory_total_bytes\": \(m.total)"
    }

    /// The --world keys, each preceded by ", " (empty without an exchange).
    fileprivate func exchangeJSON() -> String {
        guard let e = exchange else { return "" }
        return ", \"world_size\": \(e.world), \"gradient_bytes\": \(e.gradientBytes), "
            + "\"allreduce_algorithm\": \(jsonQuoted(e.algorithm)), \"allreduce_bytes_per_rank\": \(Int(e.bytesSentPerRank.rounded())), "
            + String(format: "\"predicted_allreduce_ms\": %.6g, \"comm_alpha_us\": %.6g, \"comm_beta_s_per_byte\": %.6g, ",
                     1000 * e.predictedSeconds, 1e6 * e.alphaSeconds, e.betaSecondsPerByte)
            + "\"comm_model_source\": \(jsonQuoted(e.source))"
    }
}

/// 62378344 -> "62,378,344"
public func grouped(_ n: Int) -> String {
    let s = String(n.magnitude)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0, (s.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return n < 0 ? "-" + out : out
}
