// Per-channel normalisation applied after scaling u8 pixels to [0, 1], as torchvision's Normalize:
// x = (p / 255 - mean[c]) / std[c]. `mean` and `std` each hold one value per channel or a single
// value for every channel (MNIST's 0.1307 / 0.3081).

public struct Normalization: Equatable, Sendable {
    public var mean: [Float]     // (C) or (1)
    public var std: [Float]      // (C) or (1), each > 0

    public init(mean: [Float], std: [Float]) {
        precondition(!mean.isEmpty && !std.isEmpty, "Normalization needs at least one mean and one std")
        self.mean = mean
        self.std = std
    }

    /// The same mean and std for every channel.
    public init(mean: Float, std: Float) { self.init(mean: [mean], std: [std]) }

    /// The usual MNIST statistics.
    public static let mnist = Normalization(mean: 0.1307, std: 0.3081)

    /// Whether this fits images of `channels` channels (each list has 1 or `channels` values).
    public func fits(channels: Int) -> Bool {
        (mean.count == 1 || mean.count == channels) && (std.count == 1 || std.count == channels)
    }

    public func mean(channel c: Int) -> Float { mean.count == 1 ? mean[0] : mean[c] }
    public func std(channel c: Int) -> Float { std.count == 1 ? std[0] : std[c] }

    /// (v - mean) / std for channel `c`.
    @inline(__always)
    public func apply(_ v: Float, channel c: Int) -> Float { (v - mean(channel: c)) / std(channel: c) }
}
