// The saved ring-allreduce fit (`dtrain bench comm --save runs/comm-fit.json`, launch/scale's
// comm-fit.json): alpha, beta, the world size and host it was measured on, and the samples.
// Written and read by Training's CommFitFile (for `dtrain summary --world` and `dtrain scale`).
// alpha_us, beta_s_per_byte and world_size are required; the rest may be missing (older files).
// algorithm: what MPI ran ("default" = Open MPI's own choice, or the forced algorithm's name); the
// fit's alpha and beta are that algorithm's. Missing in files older than it, which were ring fits.

import Foundation

public struct CommFitRecord: Codable, Equatable, Sendable {
    public struct Sample: Codable, Equatable, Sendable {
        public var bytes: Int
        public var seconds: Double

        public init(bytes: Int, seconds: Double) { self.bytes = bytes; self.seconds = seconds }

        private enum CodingKeys: String, CodingKey { case bytes, seconds }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            bytes = try c.decode(Int.self, forKey: .bytes)
            seconds = try c.number(.seconds)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(bytes, forKey: .bytes)
            try c.encodeNumber(seconds, forKey: .seconds)
        }
    }

    public var kind: String? = "ring_allreduce_fit"
    public var worldSize: Int
    public var algorithm: String? = nil
    public var alphaUs: Double
    public var betaSecondsPerByte: Double
    public var bandwidthGBs: Double? = nil
    public var rmsRelativeResidual = Double.nan
    public var host: String? = nil             // "mpi on <hostname>"
    public var date: String? = nil             // ISO 8601
    public var samples: [Sample] = []

    public init(worldSize: Int, alphaUs: Double, betaSecondsPerByte: Double, bandwidthGBs: Double?, rmsRelativeResidual: Double,
                host: String?, date: String?, samples: [Sample], algorithm: String? = nil) {
        self.algorithm = algorithm
        self.worldSize = worldSize; self.alphaUs = alphaUs; self.betaSecondsPerByte = betaSecondsPerByte
        self.bandwidthGBs = bandwidthGBs; self.rmsRelativeResidual = rmsRelativeResidual
        self.host = host; self.date = date; self.samples = samples
    }

    public static let shape = "the output of dtrain bench comm --save"

    /// Replaces `path` atomically (its folder must exist).
    public func write(to path: String) throws { try writeRecord(self, to: path) }

    /// The record at `path`, the required numbers checked for type only.
    public static func load(path: String) throws -> CommFitRecord { try readRecord(CommFitRecord.self, path: path, shape: shape) }

    private enum CodingKeys: String, CodingKey {
        case kind, algorithm, worldSize = "world_size", alphaUs = "alpha_us", betaSecondsPerByte = "beta_s_per_byte"
        case bandwidthGBs = "bandwidth_gb_s", rmsRelativeResidual = "rms_relative_residual", host, date, samples
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        algorithm = try c.decodeIfPresent(String.self, forKey: .algorithm)
        alphaUs = try c.decode(Double.self, forKey: .alphaUs)
        betaSecondsPerByte = try c.decode(Double.self, forKey: .betaSecondsPerByte)
        worldSize = try c.decode(Int.self, forKey: .worldSize)
        bandwidthGBs = try c.optionalNumber(.bandwidthGBs)
        rmsRelativeResidual = try c.number(.rmsRelativeResidual)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        date = try c.decodeIfPresent(String.self, forKey: .date)
        samples = try c.decodeIfPresent([Sample].self, forKey: .samples) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(kind, forKey: .kind)
        try c.encodeIfPresent(algorithm, forKey: .algorithm)
        try c.encode(worldSize, forKey: .worldSize)
        try c.encodeNumber(alphaUs, forKey: .alphaUs); try c.encodeNumber(betaSecondsPerByte, forKey: .betaSecondsPerByte)
        try c.encodeNumber(bandwidthGBs, forKey: .bandwidthGBs); try c.encodeNumber(rmsRelativeResidual, forKey: .rmsRelativeResidual)
        try c.encodeIfPresent(host, forKey: .host); try c.encodeIfPresent(date, forKey: .date)
        try c.encode(samples, forKey: .samples)
    }
}
