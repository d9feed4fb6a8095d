// The saved ring fit (`dtrain bench comm --save runs/comm-fit.json`) as a RingFit: written and read
// through CommFitRecord (Core/Records/CommFitRecord.swift), which alone knows the key names.
// `dtrain summary --world` and the scaling projection read it back; `provenance` says, when a fit
// is applied to another algorithm or world size than it was measured with, that it is.

import Core
import Foundation
import NN

public enum CommFitFile {
    /// Where summary and projection look when no --fit is given.
    public static let defaultPath = "runs/comm-fit.json"

    /// The record of `fit`, measured on `host` ("mpi on <hostname>") now.
    public static func record(_ fit: RingFit, host: String) -> CommFitRecord {
        CommFitRecord(worldSize: fit.ranks, alphaUs: fit.model.alpha * 1e6, betaSecondsPerByte: fit.model.beta,
                      bandwidthGBs: fit.model.gigabytesPerSecond, rmsRelativeResidual: fit.rmsRelativeResidual, host: host,
                      date: ISO8601DateFormatter().string(from: Date()),
                      samples: fit.samples.map { CommFitRecord.Sample(bytes: $0.bytes, seconds: $0.seconds) },
                      algorithm: fit.algorithm.name)
    }

    /// Writes `fit` to `path` atomically (creating its folder).
    public static func save(_ fit: RingFit, host: String, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try record(fit, host: host).write(to: path)
    }

    /// The fit saved at `path` and its host; exit-2 errors name the file and the key.
    public static func load(_ path: String) throws -> (fit: RingFit, host: String) {
        let r = try CommFitRecord.load(path: path)
        for (key, v) in [("alpha_us", r.alphaUs), ("beta_s_per_byte", r.betaSecondsPerByte)] where !v.isFinite {
            throw InputError("\(path): key \(key): expected a number")
        }
        let alpha = r.alphaUs * 1e-6, beta = r.betaSecondsPerByte
        guard alpha >= 0, beta > 0, r.worldSize >= 2 else {
            throw InputError("\(path): expected alpha_us >= 0, beta_s_per_byte > 0 and world_size >= 2")
        }
        // files from before the key were ring fits
        let algorithm = try AllreduceChoice(parsing: r.algorithm ?? "ring", key: "\(path): key algorithm")
        guard algorithm != .forced(.twoLevel) else {
            throw InputError("\(path): key algorithm: two-level is not measured by dtrain bench comm; expected default or an Open MPI algorithm")
        }
        return (RingFit(model: RingModel(alpha: alpha, beta: beta), ranks: r.worldSize,
                        samples: r.samples.map { AllreduceSample(bytes: $0.bytes, seconds: $0.seconds) },
                        rmsRelativeResidual: r.rmsRelativeResidual, algorithm: algorithm),
                r.host ?? "unknown host")
    }

    /// Empty when `fit` was measured with `algorithm` at `ranks`; otherwise a sentence naming what it
    /// was measured with and what it is applied to (its alpha and beta are taken as the link's).
    public static func provenance(of fit: RingFit, appliedTo algorithm: AllreduceChoice, ranks: [Int]) -> String {
        if fit.algorithm == algorithm && ranks == [fit.ranks] { return "" }
        let label = ranks.count == 1 ? "\(ranks[0])" : "\(ranks.min() ?? 0)...\(ranks.max() ?? 0)"
        return "fit measured with \(fit.algorithm.name) at world size \(fit.ranks), applied to \(algorithm.name) at \(label) ranks "
            + "(its alpha and beta taken as the link's)"
    }
}
