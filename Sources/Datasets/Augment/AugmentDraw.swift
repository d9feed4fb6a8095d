// One sample's random augmentation: a pure function of (seed, epoch, sample index) through NN's
// counter-based generator, keyed as Dropout keys its masks (mixKeys(seed, epoch, sample, salt)).
// It never sees the rank, the world size or the sample's place in a batch, so every world size
// and a resumed run draw the same. Each parameter has its own counter, so switching one part of
// the augmentation on or off leaves the other parts' draws unchanged.

import NN

public struct AugmentDraw: Equatable, Sendable {
    public var shiftX: Double, shiftY: Double   // px
    public var angle: Double                    // degrees, counter-clockwise
    public var scale: Double
    public var shear: Double                    // degrees
    public var stroke: Double                   // px per side
    public var cropX: Int, cropY: Int           // crop offsets, each in [-cropPad, cropPad]
    public var flip: Bool
    public var breaks: Bool                     // erase a band across one stroke
    public var breakBand: Double                // its width, px, in [1, 2]
    public var breakPick: Double                // which solid ink pixel it crosses, in [0, 1)

    /// Keeps augmentation's streams apart from dropout's (whose salts are layer indices).
    static let salt: UInt64 = 0x6175_676D_656E_7421     // "augment!"

    /// The draw of dataset sample `sample` in `epoch` of a run seeded `seed`.
    @inline(__always)
    public init(_ a: Augmentation, seed: UInt64, epoch: Int, sample: Int) {
        let stream = mixKeys(seed, UInt64(bitPattern: Int64(epoch)), UInt64(bitPattern: Int64(sample)), Self.salt)
        @inline(__always) func unit(_ k: UInt64) -> Double { Double(counterUniform(stream, k, 0, 0)) }
        @inline(__always) func symmetric(_ amplitude: Double, _ k: UInt64) -> Double { amplitude * (2 * unit(k) - 1) }
        @inline(__always) func within(_ r: ClosedRange<Double>, _ k: UInt64) -> Double {
            r.lowerBound + (r.upperBound - r.lowerBound) * unit(k)
        }
        @inline(__always) func offset(_ k: UInt64) -> Int {     // uniform over the 2 pad + 1 integers
            let span = 2 * a.cropPad + 1
            return min(Int(unit(k) * Double(span)), span - 1) - a.cropPad
        }
        shiftX = symmetric(a.shift, 0)
        shiftY = symmetric(a.shift, 1)
        angle = symmetric(a.rotate, 2)
        scale = within(a.scale, 3)
        shear = symmetric(a.shear, 4)
        stroke = within(a.stroke, 5)
        cropX = offset(6)
        cropY = offset(7)
        flip = a.flip && unit(8) < 0.5
        breaks = a.strokeBreak > 0 && unit(9) < a.strokeBreak
        breakBand = 1 + unit(10)
        breakPick = unit(11)
    }
}
