// Weak-scaling projection past this machine: per-rank step time = batch x compute per image +
// one allreduce of the whole gradient (not overlapped with compute), priced for the algorithm
// Open MPI would run at each world size (or the one forced by --algorithm; AllreduceChoice), so
// images/s = p x batch / step and efficiency = compute / step. Networks are stated (alpha, beta,
// gamma, node shape) or the measured fit; compute per image is measured (`dtrain bench train` at
// np=1) or estimated from FLOPs.

import Collective
import Core
import Foundation
import NN

/// A network as the cost models see it, with the name printed beside its numbers: the link between
/// nodes (alpha, beta), the reduction's seconds per byte (gamma) and, for two-level, the node.
public struct NetworkAssumption: Sendable {
    public var name: String
    public var model: RingModel
    public var gamma: Double
    public var node: NodeShape

    /// Stated, not measured: a Float sum at 10 GB/s of result.
    public static let statedGamma = 1e-10

    public init(name: String, model: RingModel, gamma: Double = statedGamma, node: NodeShape = .stated) {
        self.name = name
        self.model = model
        self.gamma = gamma
        self.node = node
    }

    public static let ethernet10 = NetworkAssumption(name: "10 Gb/s Ethernet, 5 us",
                                                     model: RingModel(latencyMicroseconds: 5, gigabitsPerSecond: 10))
    public static let ethernet100 = NetworkAssumption(name: "100 Gb/s Ethernet, 5 us",
                                                      model: RingModel(latencyMicroseconds: 5, gigabitsPerSecond: 100))

    /// The saved fit as a network ("measured fit, np=2, <host>"); gamma 0, as the fit's beta
    /// already holds the reduction's time per byte.
    public static func measured(_ fit: RingFit) -> NetworkAssumption {
        NetworkAssumption(name: "measured fit (np=\(fit.ranks), \(fit.algorithm.name))", model: fit.model, gamma: 0)
    }
}

/// Seconds of forward + backward + optimiser per image on one rank, and where the figure came from.
public struct ComputeCost: Sendable {
    public var secondsPerImage: Double
    public var source: String

    public init(secondsPerImage: Double, source: String) {
        self.secondsPerImage = secondsPerImage
        self.source = source
    }

    /// (compute_ms + optimizer_ms) / batch of one `dtrain bench train` record (from a file or
    /// measured in this process); `origin` names it in errors.
    public init(bench r: TrainBenchRecord, origin: String) throws {
        for (key, v) in [("compute_ms", r.computeMs), ("optimizer_ms", r.optimizerMs)] where !v.isFinite {
            throw InputError("\(origin): key \(key): expected a number")
        }
        let ms = r.computeMs + r.optimizerMs
        guard r.batch > 0, ms > 0 else { throw InputError("\(origin): expected batch > 0 and compute_ms + optimizer_ms > 0") }
        self.init(secondsPerImage: ms / 1000 / Double(r.batch),
                  source: "measured: dtrain bench train at np=\(r.worldSize), (compute_ms + optimizer_ms) / batch \(r.batch)")
    }

    /// Forward + backward FLOPs of one image at `gflops` (an sgemm rate): an optimistic compute
    /// time, hence a pessimistic efficiency.
    public static func estimated(plan: NetworkPlan, gflops: Double) -> ComputeCost {
        let flops = flopsPerImage(plan)
        return ComputeCost(secondsPerImage: flops / (gflops * 1e9),
                           source: String(format: "estimated: %.2f GFLOP per image (forward + backward) at the measured sgemm rate %.1f GFLOP/s",
                                          flops / 1e9, gflops))
    }
}

/// Forward + backward multiply-add FLOPs of one image through `plan`.
public func flopsPerImage(_ plan: NetworkPlan) -> Double {
    plan.layers.reduce(0) { sum, l in
        let f = layerFLOPs(l, batch: 1, firstLayer: l.source < 0)
        return sum + f.forward + f.backward
    }
}

/// One projected world size.
public struct ProjectionPoint: Sendable {
    public var ranks: Int
    public var algorithm: AllreduceAlgorithm  // the one priced at this world size
    public var computeSeconds: Double      // per step, per rank
    public var allreduceSeconds: Double    // per step
    public var stepSeconds: Double { computeSeconds + allreduceSeconds }
    public var imagesPerSecond: Double
    public var efficiency: Double          // computeSeconds / stepSeconds, in (0, 1]
}

/// Weak scaling of one model on one network: fixed per-rank batch, one allreduce after backward.
public struct ScalingProjection: Sendable {
    public var modelName: String
    public var parameters: Int
    public var compute: ComputeCost
    public var batchPerRank: Int
    public var network: NetworkAssumption
    public var choice: AllreduceChoice
    /// train.compress: the gradient travels in 16 bits (2 bytes a value) instead of fp32. The
    /// conversions are not priced: on a link slow enough to want it they are small against the bytes.
    public var wire: HalfFormat? = nil

    public static let projectedRanks = [8, 16, 32, 64, 128, 256, 512, 1024]

    public init(modelName: String, parameters: Int, compute: ComputeCost, batchPerRank: Int, network: NetworkAssumption,
                choice: AllreduceChoice = .mpiDefault) {
        self.modelName = modelName
        self.parameters = parameters
        self.compute = compute
        self.batchPerRank = batchPerRank
        self.network = network
        self.choice = choice
    }

    /// Bytes the allreduce carries: 4 per parameter (fp32), or 2 with a 16-bit wire format.
    public var gradientBytes: Double { Double(wireBytes) }
    var wireBytes: Int { (wire == nil ? 4 : 2) * parameters }

    public func point(ranks: Int) -> ProjectionPoint {
        let c = Double(batchPerRank) * compute.secondsPerImage
        let algorithm = choice.algorithm(bytes: wireBytes, ranks: ranks)
        let a = allreduceSeconds(algorithm, bytes: wireBytes, ranks: ranks, network: network)
        return ProjectionPoint(ranks: ranks, algorithm: algorithm, computeSeconds: c, allreduceSeconds: a,
                               imagesPerSecond: Double(ranks * batchPerRank) / (c + a), efficiency: c / (c + a))
    }

    /// The smallest world size (searching powers of two up to 2^24) whose efficiency is below
    /// `threshold`, or nil.
    public func ranksBelow(efficiency threshold: Double) -> Int? {
        (1...24).map { 1 << $0 }.first { point(ranks: $0).efficiency < threshold }
    }
}

/// The printed projection: one table per model, one column group per network.
public func projectionReport(_ groups: [[ScalingProjection]], ranks: [Int] = ScalingProjection.projectedRanks) -> String {
    var out = ""
    for group in groups {
        guard let first = group.first else { continue }
        out += "\(first.modelName): \(grouped(first.parameters)) parameters = \(grouped(Int(first.gradientBytes))) gradient bytes per step"
        out += (first.wire.map { " in \($0.rawValue)" } ?? "") + "; "
        out += "\(first.batchPerRank) images per rank per step (weak scaling)\n"
        out += String(format: "compute %.4f ms/image (%@)\n", 1000 * first.compute.secondsPerImage, first.compute.source)
        out += "ranks          algorithm" + group.map { alignRight($0.network.name, 36) }.joined() + "\n"
        out += "                        " + group.map { _ in alignRight("allreduce ms  images/s   eff", 36) }.joined() + "\n"
        for p in ranks {
            out += alignRight("\(p)", 5) + alignRight(first.point(ranks: p).algorithm.rawValue, 19) + group.map { proj -> String in
                let q = proj.point(ranks: p)
                return alignRight(String(format: "%12.3f %9.0f %5.1f%%", 1000 * q.allreduceSeconds, q.imagesPerSecond, 100 * q.efficiency), 36)
            }.joined() + "\n"
        }
        for proj in group {
            let half = proj.ranksBelow(efficiency: 0.5).map { "below 50% from \($0) ranks" } ?? "above 50% up to 2^24 ranks"
            out += "  \(proj.network.name): \(half)\n"
        }
        out += "\n"
    }
    let choice = groups.first?.first?.choice ?? .mpiDefault
    let perValue = groups.first?.first?.wire == nil ? "4" : "2"
    out += "Model: step = batch x compute/image + one allreduce of \(perValue)·params bytes, not overlapped; algorithm: "
    out += choice == .mpiDefault ? "Open MPI 4.1.4 coll/tuned's fixed choice at each p" : "\(choice.name), forced"
    out += "; costs alpha-beta-gamma after Thakur, Rabenseifner & Gropp 2005 (docs/scaling.md). "
    out += "The ring-only bound is --algorithm ring.\n"
    return out
}

/// The networks every projection is shown on: 10 and 100 Gb/s Ethernet, plus the measured fit.
public func projectionNetworks(fit: RingFit?) -> [NetworkAssumption] {
    [.ethernet10, .ethernet100] + (fit.map { [NetworkAssumption.measured($0)] } ?? [])
}
