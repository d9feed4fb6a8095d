// `dtrain bench comm`: the time of one in-place Float allreduce per message size at the current
// world size — warm-up excluded, every repeat started after a barrier, the slowest rank's time per
// repeat, the median over repeats — and the text/JSON of those timings beside the fit of the
// algorithm that ran (AllreduceChoice: Open MPI's own choice per size, or the forced one).

import Core
import Foundation
import Collective
import NN

/// 4 B, 16 B, ..., 64 MiB: powers of 4.
public let defaultAllreduceSizes: [Int] = (0...12).map { 4 << (2 * $0) }

/// Times an allreduce of each of `sizes` bytes (multiples of 4: Float elements) on `comm`.
/// Every rank must call it with the same arguments; every rank gets the same samples.
public func benchmarkAllreduce(comm: Communicator, sizes: [Int], repeats: Int, warmup: Int) -> [AllreduceSample] {
    let largest = (sizes.max() ?? 4) / 4
    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(largest, 1))
    buffer.initialize(repeating: 0)
    defer { buffer.deallocate() }
    return sizes.map { bytes in
        let message = UnsafeMutableBufferPointer(rebasing: buffer[0..<max(bytes / 4, 1)])
        let times = timeAllreduce(comm: comm, message, repeats: repeats, warmup: warmup)
        return AllreduceSample(bytes: bytes, seconds: SampleSummary(times).median)
    }
}

/// The bare-allreduce yardstick: `warmup` untimed allreduces of `message`, then `repeats` timed
/// ones, each started right after a barrier. Returns, per repeat, the slowest rank's seconds
/// (the same on every rank; every rank must call it with the same count).
public func timeAllreduce(comm: Communicator, _ message: UnsafeMutableBufferPointer<Float>,
                          repeats: Int, warmup: Int) -> [Double] {
    for _ in 0..<warmup { comm.allreduceSum(message) }
    var times = [Double](repeating: 0, count: repeats)
    for k in 0..<repeats {
        comm.barrier()
        let t0 = monotonicSeconds()
        comm.allreduceSum(message)
        times[k] = monotonicSeconds() - t0
    }
    times.withUnsafeMutableBufferPointer { comm.allreduceMax($0) }   // the slowest rank, per repeat
    return times
}

/// "4 B", "64 KiB", "16 MiB".
public func byteLabel(_ bytes: Int) -> String {
    if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
    if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
    return "\(bytes) B"
}

/// Parses "4,64,1K,16M" (K = KiB, M = MiB) into byte counts, each a positive multiple of 4.
public func parseByteSizes(_ text: String) throws -> [Int] {
    try text.split(separator: ",").map { raw in
        let s = raw.trimmingCharacters(in: .whitespaces).uppercased()
        let (digits, unit): (Substring, Int) = s.hasSuffix("M") ? (s.dropLast(), 1 << 20)
            : s.hasSuffix("K") ? (s.dropLast(), 1 << 10) : (Substring(s), 1)
        guard let n = Int(digits), n > 0, (n * unit) % 4 == 0 else {
            throw InputError("--sizes: '\(raw)' is not a positive byte count that is a multiple of 4 (e.g. 4,64,1K,16M)")
        }
        return n * unit
    }
}

/// The measured table and the fit, as printed by rank 0.
public func allreduceReport(samples: [AllreduceSample], fit: RingFit?, ranks: Int, repeats: Int, warmup: Int,
                            algorithm: AllreduceChoice = .forced(.ring)) -> String {
    var out = "allreduce (Float sum, in place) at world size \(ranks), algorithm \(algorithm.name): median of \(repeats) repeats after \(warmup) warm-up, slowest rank\n"
    out += "     message     time us   algbw GB/s   busbw GB/s            algorithm   model us\n"
    let busFactor = 2 * Double(ranks - 1) / Double(ranks)
    for s in samples {
        let algbw = Double(s.bytes) / s.seconds / 1e9
        let ran = alignRight(algorithm.algorithm(bytes: s.bytes, ranks: ranks).rawValue, 21)
        let model = fit.map { String(format: "%11.1f", 1e6 * $0.modelSeconds(bytes: s.bytes)) } ?? ""
        out += alignRight(byteLabel(s.bytes), 12) + String(format: " %11.1f %12.3f %12.3f", 1e6 * s.seconds, algbw, algbw * busFactor)
            + ran + model + "\n"
    }
    out += "algbw = bytes / time; busbw = algbw x 2(p-1)/p, the rate each rank's link carries in a ring; "
        + "algorithm: what Open MPI runs at that size; model: the fit's alpha and beta in that algorithm's cost\n"
    if let fit { out += fit.summary + "\n" }
    return out
}

/// The timings and fit as one record (`dtrain bench comm --json`).
public func allreduceRecord(samples: [AllreduceSample], fit: RingFit?, ranks: Int, repeats: Int,
                            algorithm: AllreduceChoice = .forced(.ring)) -> AllreduceBenchRecord {
    AllreduceBenchRecord(worldSize: ranks, repeats: repeats,
                         samples: samples.map { .init(bytes: $0.bytes, us: 1e6 * $0.seconds, algbwGBs: Double($0.bytes) / $0.seconds / 1e9) },
                         alphaUs: fit.map { 1e6 * $0.model.alpha }, betaSecondsPerByte: fit?.model.beta,
                         bandwidthGBs: fit?.model.gigabytesPerSecond, rmsRelativeResidual: fit?.rmsRelativeResidual,
                         algorithm: algorithm.name)
}

/// The timings and fit as one line of JSON.
public func allreduceJSON(samples: [AllreduceSample], fit: RingFit?, ranks: Int, repeats: Int,
                          algorithm: AllreduceChoice = .forced(.ring)) -> String {
    allreduceRecord(samples: samples, fit: fit, ranks: ranks, repeats: repeats, algorithm: algorithm).jsonText()
}

/// `s` right-aligned in `width` characters (never cut).
func alignRight(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}
