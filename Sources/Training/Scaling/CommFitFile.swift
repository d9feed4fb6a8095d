// The saved ring fit (`dtrain bench comm --save runs/comm-fit.json`): one JSON object with alpha,
// beta, the world size and host it was measured on, and the samples. `dtrain summary --world` and
// the scaling projection read it back. Only this file knows the key names.

import Core
import Foundation
import NN

public enum CommFitFile {
    /// Where summary and projection look when no --fit is given.
    public static let defaultPath = "runs/comm-fit.json"

    /// The JSON text of `fit`, measured on `host` ("mpi on <hostname>").
    public static func json(_ fit: RingFit, host: String) -> String {
        var o = JSONObject()
        o.set("kind", .string("ring_allreduce_fit"))
        o.set("world_size", .int(fit.ranks))
        o.set("alpha_us", .double(fit.model.alpha * 1e6))
        o.set("beta_s_per_byte", .double(fit.model.beta))
        o.set("bandwidth_gb_s", .double(fit.model.gigabytesPerSecond))
        o.set("rms_relative_residual", .double(fit.rmsRelativeResidual))
        o.set("host", .string(host))
        o.set("date", .string(ISO8601DateFormatter().string(from: Date())))
        o.set("samples", .array(fit.samples.map { s in
            var e = JSONObject()
            e.set("bytes", .int(s.bytes))
            e.set("seconds", .double(s.seconds))
            return .object(e)
        }))
        return o.text
    }

    /// Writes `fit` to `path` (creating its folder).
    public static func save(_ fit: RingFit, host: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((json(fit, host: host) + "\n").utf8).write(to: url, options: .atomic)
    }

    /// The fit saved at `path` and its host; exit-2 errors name the file and the key.
    public static func load(_ path: String) throws -> (fit: RingFit, host: String) {
        guard let data = FileManager.default.contents(atPath: path) else { throw InputError("\(path): cannot read the allreduce fit") }
        guard let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw InputError("\(path): not a JSON object (expected the output of dtrain bench comm --save)")
        }
        func number(_ key: String) throws -> Double {
            guard let v = (o[key] as? NSNumber)?.doubleValue, v.isFinite else { throw InputError("\(path): key \(key): expected a number") }
            return v
        }
        let alpha = try number("alpha_us") * 1e-6, beta = try number("beta_s_per_byte"), world = Int(try number("world_size"))
        guard alpha >= 0, beta > 0, world >= 2 else {
            throw InputError("\(path): expected alpha_us >= 0, beta_s_per_byte > 0 and world_size >= 2")
        }
        let samples = (o["samples"] as? [[String: Any]] ?? []).compactMap { e -> AllreduceSample? in
            guard let b = (e["bytes"] as? NSNumber)?.intValue, let s = (e["seconds"] as? NSNumber)?.doubleValue else { return nil }
            return AllreduceSample(bytes: b, seconds: s)
        }
        let residual = (o["rms_relative_residual"] as? NSNumber)?.doubleValue ?? .nan
        return (RingFit(model: RingModel(alpha: alpha, beta: beta), ranks: world, samples: samples, rmsRelativeResidual: residual),
                o["host"] as? String ?? "unknown host")
    }
}
