// `dtrain bench comm --json`: one JSON object with the world size, the repeats, per message size
// the median time and algorithmic bandwidth, and, when a ring fit was possible, alpha, beta, the
// bandwidth and the fit's residual (keys left out without a fit), and the algorithm MPI was asked
// to run ("default" or a forced one; missing in older output). Written by Training's
// allreduceJSON; non-finite numbers are null.

import Foundation

public struct AllreduceBenchRecord: Codable, Equatable, Sendable {
    public struct Sample: Codable, Equatable, Sendable {
        public var bytes: Int
        public var us: Double                  // median of the slowest rank's time
        public var algbwGBs: Double            // bytes / time, GB/s

        public init(bytes: Int, us: Double, algbwGBs: Double) {
            self.bytes = bytes; self.us = us; self.algbwGBs = algbwGBs
        }

        private enum CodingKeys: String, CodingKey { case bytes, us, algbwGBs = "algbw_gb_s" }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            bytes = try c.decode(Int.self, forKey: .bytes)
            us = try c.number(.us); algbwGBs = try c.number(.algbwGBs)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(bytes, forKey: .bytes)
            try c.encodeNumber(us, forKey: .us); try c.encodeNumber(algbwGBs, forKey: .algbwGBs)
        }
    }

    public var worldSize: Int
    public var algorithm: String? = nil
    public var repeats: Int
    public var samples: [Sample]
    public var alphaUs: Double?, betaSecondsPerByte: Double?, bandwidthGBs: Double?, rmsRelativeResidual: Double?

    public init(worldSize: Int, repeats: Int, samples: [Sample], alphaUs: Double? = nil, betaSecondsPerByte: Double? = nil,
                bandwidthGBs: Double? = nil, rmsRelativeResidual: Double? = nil, algorithm: String? = nil) {
        self.algorithm = algorithm
        self.worldSize = worldSize; self.repeats = repeats; self.samples = samples
        self.alphaUs = alphaUs; self.betaSecondsPerByte = betaSecondsPerByte
        self.bandwidthGBs = bandwidthGBs; self.rmsRelativeResidual = rmsRelativeResidual
    }

    /// One line of JSON, as `dtrain bench comm --json` prints it.
    public func jsonText() -> String { (try? recordJSONText(self)) ?? "{}" }

    public static func decode(_ text: String, origin: String) throws -> AllreduceBenchRecord {
        try decodeRecord(AllreduceBenchRecord.self, from: Data(text.utf8), origin: origin, shape: "the output of dtrain bench comm --json")
    }

    private enum CodingKeys: String, CodingKey {
        case worldSize = "world_size", algorithm, repeats, samples, alphaUs = "alpha_us", betaSecondsPerByte = "beta_s_per_byte"
        case bandwidthGBs = "bandwidth_gb_s", rmsRelativeResidual = "rms_relative_residual"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        worldSize = try c.decode(Int.self, forKey: .worldSize)
        algorithm = try c.decodeIfPresent(String.self, forKey: .algorithm)
        repeats = try c.decodeIfPresent(Int.self, forKey: .repeats) ?? 0
        samples = try c.decodeIfPresent([Sample].self, forKey: .samples) ?? []
        alphaUs = try c.optionalNumber(.alphaUs); betaSecondsPerByte = try c.optionalNumber(.betaSecondsPerByte)
        bandwidthGBs = try c.optionalNumber(.bandwidthGBs); rmsRelativeResidual = try c.optionalNumber(.rmsRelativeResidual)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(worldSize, forKey: .worldSize); try c.encodeIfPresent(algorithm, forKey: .algorithm)
        try c.encode(repeats, forKey: .repeats); try c.encode(samples, forKey: .samples)
        // the fit's keys only with a fit, as before; a non-finite one is null
        if let alphaUs { try c.encodeNumber(alphaUs, forKey: .alphaUs) }
        if let betaSecondsPerByte { try c.encodeNumber(betaSecondsPerByte, forKey: .betaSecondsPerByte) }
        if let bandwidthGBs { try c.encodeNumber(bandwidthGBs, forKey: .bandwidthGBs) }
        if let rmsRelativeResidual { try c.encodeNumber(rmsRelativeResidual, forKey: .rmsRelativeResidual) }
    }
}
