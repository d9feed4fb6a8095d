// Per-channel mean and standard deviation of a set's pixels scaled to [0, 1] (p / 255), over every
// pixel of every image: the numbers `data.normalize: auto` normalises with. Population statistics
// (divided by N, as torch.Tensor.std(unbiased=False)), exact up to the final Double arithmetic: a
// 256-bin histogram per channel is counted first. For a mapped set the result is cached next to its
// pixels (`<cache file>.stats-<first>-<count>`, written atomically; ranks that compute it at the
// same time write the same bytes), so only the first run on a node pays for it.

import Core
import Foundation

extension Normalization {
    /// The per-channel statistics of `set` (one mean and one std per channel). A constant channel
    /// (std 0) cannot be normalised: InputError naming `key` (the config key that asked).
    public static func measured(from set: ImageSet, key: String) throws -> Normalization {
        guard set.count > 0 else { throw InputError("\(key): no training images to measure the mean and std of") }
        let cachePath: String?
        if case let .mapped(mapping, first) = set.storage {
            cachePath = mapping.path + ".stats-\(first)-\(set.count)"
        } else {
            cachePath = nil
        }
        let stats: Normalization
        if let cachePath, let cached = readCached(cachePath, channels: set.channels) {
            stats = cached
        } else {
            stats = computed(set)
            if let cachePath {       // a cache: failing to write it costs time only
                try? writeAtomically(Array(text(stats).utf8), to: cachePath)
            }
        }
        for c in 0 ..< set.channels where !(stats.std[c] > 0) {
            throw InputError("\(key): auto: channel \(c) of the training images is constant (std 0); give data.normalize values instead")
        }
        return stats
    }

    /// Counts the histograms and turns them into statistics.
    static func computed(_ set: ImageSet) -> Normalization {
        let channels = set.channels, plane = set.height * set.width
        var histogram = [UInt64](repeating: 0, count: channels * 256)     // (C, 256)
        histogram.withUnsafeMutableBufferPointer { h in
            set.withPixels { pixels in
                for i in 0 ..< set.count {
                    for c in 0 ..< channels {
                        let bins = h.baseAddress! + c * 256, from = pixels.baseAddress! + (i * channels + c) * plane
                        for k in 0 ..< plane { bins[Int(from[k])] &+= 1 }
                    }
                }
            }
        }
        var mean: [Float] = [], std: [Float] = []
        for c in 0 ..< channels {
            var n = 0.0, sum = 0.0, squares = 0.0
            for p in 0 ..< 256 {
                let count = Double(histogram[c * 256 + p]), v = Double(p) / 255
                n += count; sum += count * v; squares += count * v * v
            }
            let m = sum / n
            mean.append(Float(m))
            std.append(Float(max(squares / n - m * m, 0).squareRoot()))
        }
        return Normalization(mean: mean, std: std)
    }

    /// "mean m0 m1 ...\nstd s0 s1 ...\n" with Float's round-trip text.
    static func text(_ n: Normalization) -> String {
        "mean " + n.mean.map { "\($0)" }.joined(separator: " ") + "\nstd " + n.std.map { "\($0)" }.joined(separator: " ") + "\n"
    }

    /// The cached statistics at `path` when the file exists and holds `channels` of each.
    static func readCached(_ path: String, channels: Int) -> Normalization? {
        guard let data = FileManager.default.contents(atPath: path), data.count < 1 << 16,
              let text = String(data: data, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map { $0.split(separator: " ") }
        guard lines.count == 2, lines[0].first == "mean", lines[1].first == "std" else { return nil }
        let mean = lines[0].dropFirst().compactMap { Float($0) }, std = lines[1].dropFirst().compactMap { Float($0) }
        guard mean.count == channels, std.count == channels, lines[0].count == channels + 1, lines[1].count == channels + 1
        else { return nil }
        return Normalization(mean: mean, std: std)
    }
}
