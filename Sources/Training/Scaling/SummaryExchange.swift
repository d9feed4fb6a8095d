// What `dtrain summary MODEL --world N [--algorithm A]` adds: the gradient bytes one data-parallel
// step exchanges, the allreduce algorithm priced (Open MPI's choice by default) and its predicted
// time, from the saved fit (--fit FILE, or runs/comm-fit.json when present) or, failing both, the
// stated defaults of 5 us latency and 10 Gb/s. A fit measured with another algorithm or world size
// is used as the link's alpha and beta, and the source says so.

import Core
import Foundation
import NN

/// The network the summary predicts with, the fit it came from (nil: stated defaults), and a few
/// words saying where it came from.
public func summaryNetwork(fitPath: String?) throws -> (network: NetworkAssumption, fit: RingFit?, source: String) {
    let path = fitPath ?? CommFitFile.defaultPath
    if fitPath != nil || FileManager.default.fileExists(atPath: path) {
        let (fit, host) = try CommFitFile.load(path)
        return (.measured(fit), fit, "fit \(path), measured with \(fit.algorithm.name) at world size \(fit.ranks) on \(host)")
    }
    return (.ethernet10, nil,
            "stated defaults (alpha 5 us, 10 Gb/s Ethernet); no fit at \(path), run dtrain bench comm --save \(path) under mpirun")
}

/// The per-step gradient exchange of `parameters` Float gradients at `world` ranks, priced for the
/// algorithm `choice` runs there; `fit` (when the network is one) is named if it came from another
/// algorithm or world size.
public func gradientExchange(parameters: Int, world: Int, network: NetworkAssumption, choice: AllreduceChoice,
                             fit: RingFit? = nil, source: String) -> ModelSummary.GradientExchange {
    let bytes = 4 * parameters
    let algorithm = choice.algorithm(bytes: bytes, ranks: world)
    let note = fit.map { CommFitFile.provenance(of: $0, appliedTo: choice, ranks: [world]) } ?? ""
    let why = choice == .mpiDefault ? "algorithm: Open MPI 4.1.4's fixed choice" : "algorithm: forced by --algorithm"
    return ModelSummary.GradientExchange(world: world, gradientBytes: bytes, algorithm: algorithm.rawValue,
                                         bytesSentPerRank: allreduceBytesSent(algorithm, bytes: bytes, ranks: world, node: network.node),
                                         predictedSeconds: allreduceSeconds(algorithm, bytes: bytes, ranks: world, network: network),
                                         alphaSeconds: network.model.alpha, betaSecondsPerByte: network.model.beta,
                                         source: ([source, why] + (note.isEmpty ? [] : [note])).joined(separator: "; "))
}
