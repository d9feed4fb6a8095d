// Training-time augmentation settings, the run config's `data.augment` (DESIGN.md "Run config").
// Each amplitude bounds a per-sample random draw (AugmentDraw.swift); the default value (no shift,
// rotation, shear or stroke change, scale [1, 1], no crop, no flip) changes no pixel. Ranges are
// checked where the config is read (Training/Config/AugmentationConfig.swift), not here.

public struct Augmentation: Equatable, Sendable {
    /// Translation per axis, uniform in [-shift, shift] px (fractional: bilinear).
    public var shift: Double
    /// Rotation about the image centre, uniform in [-rotate, rotate] degrees (positive: counter-clockwise as shown).
    public var rotate: Double
    /// Zoom about the image centre, uniform in scale (1: unchanged, > 1: larger).
    public var scale: ClosedRange<Double>
    /// Horizontal shear, uniform in [-shear, shear] degrees: row y moves right by tan(angle) x (y - centre).
    public var shear: Double
    /// Stroke-width change, uniform in this range, px per side: > 0 grey dilation (thicker bright
    /// strokes), < 0 grey erosion (thinner). `stroke: s` in the config means [-s, s].
    public var stroke: ClosedRange<Double>
    /// RandomCrop-style padding: zero-pad by cropPad on every side, crop the original size at a
    /// random position, i.e. an integer translation in [-cropPad, cropPad] per axis.
    public var cropPad: Int
    /// Mirror left-right with probability 1/2.
    public var flip: Bool
    /// Probability that a sample loses a thin band (1-2 px) across one stroke, as where a pen
    /// skips (StrokeBreak.swift); 0: never.
    public var strokeBreak: Double

    public init(shift: Double = 0, rotate: Double = 0, scale: ClosedRange<Double> = 1...1, shear: Double = 0,
                stroke: ClosedRange<Double> = 0...0, cropPad: Int = 0, flip: Bool = false, strokeBreak: Double = 0) {
        self.shift = shift; self.rotate = rotate; self.scale = scale; self.shear = shear
        self.stroke = stroke; self.cropPad = cropPad; self.flip = flip; self.strokeBreak = strokeBreak
    }

    /// Whether some draw can move a pixel through the affine warp (shift, rotation, scale, shear).
    public var warps: Bool { shift != 0 || rotate != 0 || scale != 1...1 || shear != 0 }

    /// Whether no sample can ever change.
    public var isIdentity: Bool { !warps && stroke == 0...0 && cropPad == 0 && !flip && strokeBreak == 0 }
}

extension Augmentation: CustomStringConvertible {
    /// "shift 2 px, rotate 8°, scale [0.9, 1.1], ..." listing the active parts ("none" for the identity).
    public var description: String {
        var parts: [String] = []
        if shift != 0 { parts.append("shift \(shift) px") }
        if rotate != 0 { parts.append("rotate \(rotate)°") }
        if scale != 1...1 { parts.append("scale [\(scale.lowerBound), \(scale.upperBound)]") }
        if shear != 0 { parts.append("shear \(shear)°") }
        if stroke != 0...0 { parts.append("stroke [\(stroke.lowerBound), \(stroke.upperBound)] px") }
        if cropPad != 0 { parts.append("crop pad \(cropPad)") }
        if flip { parts.append("flip") }
        if strokeBreak != 0 { parts.append("break \(strokeBreak)") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}
