// What `dtrain summary MODEL --world N` adds: the gradient bytes one data-parallel step exchanges
// and the predicted ring-allreduce time, from the saved fit (--fit FILE, or runs/comm-fit.json when
// present) or, failing both, the stated defaults of 5 us latency and 10 Gb/s.

import Core
import Foundation
import NN

/// The network the summary predicts with, and a few words saying where it came from.
public func summaryNetwork(fitPath: String?) throws -> (model: RingModel, source: String) {
    let path = fitPath ?? CommFitFile.defaultPath
    if fitPath != nil || FileManager.default.fileExists(atPath: path) {
        let (fit, host) = try CommFitFile.load(path)
        return (fit.model, "fit \(path), measured at world size \(fit.ranks) on \(host)")
    }
    return (NetworkAssumption.ethernet10.model,
            "stated defaults (alpha 5 us, 10 Gb/s Ethernet); no fit at \(path), run dtrain bench comm --save \(path) under mpirun")
}

/// The per-step gradient exchange of `parameters` Float gradients at `world` ranks.
public func gradientExchange(parameters: Int, world: Int, network: RingModel, source: String) -> ModelSummary.GradientExchange {
    let bytes = 4 * parameters
    return ModelSummary.GradientExchange(world: world, gradientBytes: bytes,
                                         ringBytesPerRank: RingModel.bytesPerRank(Double(bytes), ranks: world),
                                         predictedSeconds: network.seconds(bytes: Double(bytes), ranks: world),
                                         alphaSeconds: network.alpha, betaSecondsPerByte: network.beta, source: source)
}
