// The saved ring fit (`dtrain bench comm --save runs/comm-fit.json`) as a RingFit: written and read
// through CommFitRecord (Core/Records/CommFitRecord.swift), which alone knows the key names.
// `dtrain summary --world` and the scaling projection read it back.

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
                      samples: fit.samples.map { CommFitRecord.Sample(bytes: $0.bytes, seconds: $0.seconds) })
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
        return (RingFit(model: RingModel(alpha: alpha, beta: beta), ranks: r.worldSize,
                        samples: r.samples.map { AllreduceSample(bytes: $0.bytes, seconds: $0.seconds) },
                        rmsRelativeResidual: r.rmsRelativeResidual),
                r.host ?? "unknown host")
    }
}
