// The run config's `data.normalize` (DESIGN.md "Run config"): {mean: m, std: s} for every channel,
// {mean: [m0, m1, ...], std: [s0, s1, ...]} with one value per input channel (C of the model's
// input; one value still means all channels), or `auto`: the per-channel mean and std of the
// training split, measured when the training data is loaded (Normalization.measured) and written
// into the resolved config, so checkpoints, `eval` and `predict` apply the same numbers.

import Core
import NN
import Datasets

extension RunConfig {
    /// Reads data.normalize for a model with `channels` input channels: sets `normalize` or
    /// `normalizeAuto`.
    static func parseNormalize(_ c: ConfigCursor, channels: Int, into data: inout DataConfig) throws {
        if case .scalar(let word) = c.value {
            guard word == "auto" else { throw c.fail("auto or {mean: m, std: s} (numbers, or lists of \(channels) per channel)") }
            data.normalizeAuto = true
            data.normalize = nil
            return
        }
        let m = try c.map(allowed: normalizeKeys)
        func values(_ key: String, positive: Bool) throws -> [Float] {
            let v = try m.required(key)
            let items: [ConfigCursor]
            if case .list = v.value { items = try v.list() } else { items = [v] }
            guard items.count == 1 || items.count == channels else {
                throw InputError("\(v.file): \(v.path): expected 1 value or \(channels) (one per channel: the model's input has C = \(channels)), found \(items.count)")
            }
            return try items.map { item in
                let x = Float(try item.double())
                guard x.isFinite, !positive || x > 0 else { throw item.fail(positive ? "a positive std" : "a finite mean") }
                return x
            }
        }
        data.normalize = Normalization(mean: try values("mean", positive: false), std: try values("std", positive: true))
        data.normalizeAuto = false
    }

    /// With data.normalize: auto, measures `train` (the training split) and replaces `auto` by the
    /// numbers, here and in `resolved`; otherwise does nothing.
    public mutating func resolveNormalization(train: ImageSet) throws {
        guard data.normalizeAuto else { return }
        let n = try Normalization.measured(from: train, key: "\(source): data.normalize")
        data.normalize = n
        data.normalizeAuto = false
        resolved.set(path: ["data", "normalize"], to: .map([
            .init("mean", .list(n.mean.map { .scalar("\($0)") })),
            .init("std", .list(n.std.map { .scalar("\($0)") })),
        ]))
    }
}
