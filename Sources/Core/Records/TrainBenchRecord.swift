// `dtrain bench train --json`: one JSON object per run, written by Training's TrainBenchResult and
// read by `dtrain scale project --bench` (ComputeCost) and by a launch/scale sweep's points.jsonl
// (ScalePointRecord). Times in ms (the exchange's in us) per step. Reading is lenient, as the
// readers always were: a missing or null number is NaN, a missing list empty; callers check what they use.

import Foundation

public struct TrainBenchRecord: Codable, Equatable, Sendable {
    public var model = ""
    public var worldSize = 1, batch = 0, steps = 0
    public var stepMs = Double.nan, imagesPerSec = Double.nan
    public var dataMs = Double.nan, computeMs = Double.nan, waitMs = Double.nan
    public var allreduceMs = Double.nan, optimizerMs = Double.nan
    public var rankComputeMs: [Double] = []        // forward + backward per step, one per rank
    public var sgemmGFLOPs = Double.nan, peakRSSMB = Double.nan
    public var estimatedPeakMB: Double?             // the memory pre-flight's estimate (absent before it existed)
    public var exchange: ExchangeBenchRecord?      // null at world size 1
    public var layers: [Layer] = []
    /// Graph models (absent otherwise): each block's time (its layers' and its join's), one per block in plan order.
    public var blocks: [Block] = []
    /// BatchNorm's cross-rank statistics sums per step (inside compute); nil (absent) without synced BatchNorm.
    public var batchNormSyncMs: Double?

    public struct Block: Codable, Equatable, Sendable {
        public var name: String, kind: String
        public var forwardMs: Double, backwardMs: Double
        public init(name: String, kind: String, forwardMs: Double, backwardMs: Double) {
            self.name = name; self.kind = kind; self.forwardMs = forwardMs; self.backwardMs = backwardMs
        }
        private enum CodingKeys: String, CodingKey { case name, kind, forwardMs = "forward_ms", backwardMs = "backward_ms" }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
            kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? ""
            forwardMs = try c.number(.forwardMs); backwardMs = try c.number(.backwardMs)
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name); try c.encode(kind, forKey: .kind)
            try c.encodeNumber(forwardMs, forKey: .forwardMs); try c.encodeNumber(backwardMs, forKey: .backwardMs)
        }
    }

    public struct Layer: Codable, Equatable, Sendable {
        public var name: String, kind: String
        public var forwardMs: Double, backwardMs: Double
        public var forwardGFLOPs: Double, backwardGFLOPs: Double
        public var fusedInto: String?              // "conv1" (a fused ReLU), "view" (flatten); null otherwise

        public init(name: String, kind: String, forwardMs: Double, backwardMs: Double,
                    forwardGFLOPs: Double, backwardGFLOPs: Double, fusedInto: String?) {
            self.name = name; self.kind = kind; self.forwardMs = forwardMs; self.backwardMs = backwardMs
            self.forwardGFLOPs = forwardGFLOPs; self.backwardGFLOPs = backwardGFLOPs; self.fusedInto = fusedInto
        }

        private enum CodingKeys: String, CodingKey {
            case name, kind, forwardMs = "forward_ms", backwardMs = "backward_ms"
            case forwardGFLOPs = "forward_gflops", backwardGFLOPs = "backward_gflops", fusedInto = "fused_into"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
            kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? ""
            forwardMs = try c.number(.forwardMs); backwardMs = try c.number(.backwardMs)
            forwardGFLOPs = try c.number(.forwardGFLOPs); backwardGFLOPs = try c.number(.backwardGFLOPs)
            fusedInto = try c.decodeIfPresent(String.self, forKey: .fusedInto)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name); try c.encode(kind, forKey: .kind)
            try c.encodeNumber(forwardMs, forKey: .forwardMs); try c.encodeNumber(backwardMs, forKey: .backwardMs)
            try c.encodeNumber(forwardGFLOPs, forKey: .forwardGFLOPs); try c.encodeNumber(backwardGFLOPs, forKey: .backwardGFLOPs)
            if let fusedInto { try c.encode(fusedInto, forKey: .fusedInto) } else { try c.encodeNil(forKey: .fusedInto) }
        }
    }

    public init() {}

    /// What the error messages say was expected.
    public static let shape = "the output of dtrain bench train --json"

    /// The record in one line of text (the last `{` line of a saved output is the caller's pick).
    public static func decode(_ text: String, origin: String) throws -> TrainBenchRecord {
        try decodeRecord(TrainBenchRecord.self, from: Data(text.utf8), origin: origin, shape: shape)
    }

    /// One line of JSON, as `dtrain bench train --json` prints it.
    public func jsonText() -> String { (try? recordJSONText(self)) ?? "{}" }

    private enum CodingKeys: String, CodingKey {
        case model, worldSize = "world_size", batch, steps, stepMs = "step_ms", imagesPerSec = "images_per_sec"
        case dataMs = "data_ms", computeMs = "compute_ms", waitMs = "wait_ms", allreduceMs = "allreduce_ms"
        case optimizerMs = "optimizer_ms", rankComputeMs = "rank_compute_ms", sgemmGFLOPs = "sgemm_gflops"
        case peakRSSMB = "peak_rss_mb", estimatedPeakMB = "estimated_peak_mb", exchange, layers, blocks
        case batchNormSyncMs = "batchnorm_sync_ms"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? ""
        worldSize = try c.decodeIfPresent(Int.self, forKey: .worldSize) ?? 1
        batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? 0
        steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? 0
        stepMs = try c.number(.stepMs); imagesPerSec = try c.number(.imagesPerSec)
        dataMs = try c.number(.dataMs); computeMs = try c.number(.computeMs); waitMs = try c.number(.waitMs)
        allreduceMs = try c.number(.allreduceMs); optimizerMs = try c.number(.optimizerMs)
        rankComputeMs = try c.numbers(.rankComputeMs)
        sgemmGFLOPs = try c.number(.sgemmGFLOPs); peakRSSMB = try c.number(.peakRSSMB)
        estimatedPeakMB = try c.optionalNumber(.estimatedPeakMB)
        exchange = try c.decodeIfPresent(ExchangeBenchRecord.self, forKey: .exchange)
        layers = try c.decodeIfPresent([Layer].self, forKey: .layers) ?? []
        blocks = try c.decodeIfPresent([Block].self, forKey: .blocks) ?? []
        batchNormSyncMs = try c.optionalNumber(.batchNormSyncMs)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(worldSize, forKey: .worldSize); try c.encode(batch, forKey: .batch); try c.encode(steps, forKey: .steps)
        try c.encodeNumber(stepMs, forKey: .stepMs); try c.encodeNumber(imagesPerSec, forKey: .imagesPerSec)
        try c.encodeNumber(dataMs, forKey: .dataMs); try c.encodeNumber(computeMs, forKey: .computeMs)
        try c.encodeNumber(waitMs, forKey: .waitMs); try c.encodeNumber(allreduceMs, forKey: .allreduceMs)
        try c.encodeNumber(optimizerMs, forKey: .optimizerMs); try c.encodeNumbers(rankComputeMs, forKey: .rankComputeMs)
        try c.encodeNumber(sgemmGFLOPs, forKey: .sgemmGFLOPs); try c.encodeNumber(peakRSSMB, forKey: .peakRSSMB)
        if let estimatedPeakMB, estimatedPeakMB.isFinite { try c.encode(estimatedPeakMB, forKey: .estimatedPeakMB) }
        if let exchange { try c.encode(exchange, forKey: .exchange) } else { try c.encodeNil(forKey: .exchange) }
        try c.encode(layers, forKey: .layers)
        if !blocks.isEmpty { try c.encode(blocks, forKey: .blocks) }                 // graph models only
        if let batchNormSyncMs, batchNormSyncMs.isFinite { try c.encode(batchNormSyncMs, forKey: .batchNormSyncMs) }
    }
}

/// The bench's gradient exchange against a bare allreduce (Training/Bench/ExchangeBench.swift);
/// the paired and arrival figures are null where they were not measured.
public struct ExchangeBenchRecord: Codable, Equatable, Sendable {
    public var strategy = ""
    public var steps = 0
    public var medianUs = Double.nan, meanUs = Double.nan, p90Us = Double.nan
    public var bareAllreduceBytes = 0
    public var bareAllreduceUs = Double.nan
    public var bareAllreduceRepeats = 0
    public var ratio = Double.nan
    public var pairedExchangeUs: Double?, pairedBareAllreduceUs: Double?, pairedRatio: Double?
    public var arrivalMedianUs: Double?
    /// train.compress ("none", "fp16", "bf16") and the bytes one rank's gradients and statistics
    /// take on the wire per step: (p + 3) x 4, or p x 2 + 12 when compressed (0: not recorded).
    public var compress = "none"
    public var wireBytesPerStep = 0

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case strategy, steps, medianUs = "median_us", meanUs = "mean_us", p90Us = "p90_us"
        case bareAllreduceBytes = "bare_allreduce_bytes", bareAllreduceUs = "bare_allreduce_us"
        case bareAllreduceRepeats = "bare_allreduce_repeats", ratio, pairedExchangeUs = "paired_exchange_us"
        case pairedBareAllreduceUs = "paired_bare_allreduce_us", pairedRatio = "paired_ratio"
        case arrivalMedianUs = "arrival_median_us"
        case compress, wireBytesPerStep = "wire_bytes_per_step"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        strategy = try c.decodeIfPresent(String.self, forKey: .strategy) ?? ""
        steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? 0
        medianUs = try c.number(.medianUs); meanUs = try c.number(.meanUs); p90Us = try c.number(.p90Us)
        bareAllreduceBytes = try c.decodeIfPresent(Int.self, forKey: .bareAllreduceBytes) ?? 0
        bareAllreduceUs = try c.number(.bareAllreduceUs)
        bareAllreduceRepeats = try c.decodeIfPresent(Int.self, forKey: .bareAllreduceRepeats) ?? 0
        ratio = try c.number(.ratio)
        pairedExchangeUs = try c.optionalNumber(.pairedExchangeUs)
        pairedBareAllreduceUs = try c.optionalNumber(.pairedBareAllreduceUs)
        pairedRatio = try c.optionalNumber(.pairedRatio)
        arrivalMedianUs = try c.optionalNumber(.arrivalMedianUs)
        compress = try c.decodeIfPresent(String.self, forKey: .compress) ?? "none"
        wireBytesPerStep = try c.decodeIfPresent(Int.self, forKey: .wireBytesPerStep) ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(strategy, forKey: .strategy); try c.encode(steps, forKey: .steps)
        try c.encodeNumber(medianUs, forKey: .medianUs); try c.encodeNumber(meanUs, forKey: .meanUs)
        try c.encodeNumber(p90Us, forKey: .p90Us)
        try c.encode(bareAllreduceBytes, forKey: .bareAllreduceBytes)
        try c.encodeNumber(bareAllreduceUs, forKey: .bareAllreduceUs)
        try c.encode(bareAllreduceRepeats, forKey: .bareAllreduceRepeats)
        try c.encodeNumber(ratio, forKey: .ratio)
        try c.encodeNumber(pairedExchangeUs, forKey: .pairedExchangeUs)
        try c.encodeNumber(pairedBareAllreduceUs, forKey: .pairedBareAllreduceUs)
        try c.encodeNumber(pairedRatio, forKey: .pairedRatio)
        try c.encodeNumber(arrivalMedianUs, forKey: .arrivalMedianUs)
        try c.encode(compress, forKey: .compress)
        try c.encode(wireBytesPerStep, forKey: .wireBytesPerStep)
    }
}
