// Applies an Augmentation to images (C, H, W) of [0, 1] pixels in place, one sample at a time:
// stroke width, then the affine warp, then a stroke break, then the padded crop, then the flip; every channel gets the
// same draw. The draw is keyed by (seed, epoch, dataset index) alone (AugmentDraw.swift). Two
// preallocated (H, W) scratch planes serve every step, so applying allocates nothing; an
// Augmenter is therefore used by one thread at a time (one per batch loader).

public final class Augmenter {
    public let augmentation: Augmentation
    public let seed: UInt64
    public let channels: Int, height: Int, width: Int
    private let scratch: UnsafeMutablePointer<Float>        // (2, H, W): stroke width uses both, the rest the first

    public init(_ augmentation: Augmentation, seed: UInt64, channels: Int, height: Int, width: Int) {
        self.augmentation = augmentation
        self.seed = seed
        self.channels = channels; self.height = height; self.width = width
        scratch = .allocate(capacity: max(2 * height * width, 1))
        scratch.initialize(repeating: 0, count: max(2 * height * width, 1))
    }

    deinit { scratch.deallocate() }

    /// The draw of dataset sample `sample` in `epoch`.
    public func draw(sample: Int, epoch: Int) -> AugmentDraw {
        AugmentDraw(augmentation, seed: seed, epoch: epoch, sample: sample)
    }

    /// Augments `image` (channels x height x width floats in [0, 1]) in place as sample `sample`
    /// of `epoch`.
    public func apply(_ image: UnsafeMutablePointer<Float>, sample: Int, epoch: Int) {
        let a = augmentation
        guard !a.isIdentity else { return }
        let r = draw(sample: sample, epoch: epoch)
        let plane = height * width
        let warp = a.warps ? AffineWarp(r, width: width, height: height) : nil
        for ch in 0..<channels {
            let p = image + ch * plane
            if r.stroke != 0 { changeStrokeWidth(p, width: width, height: height, by: r.stroke, scratch: scratch) }
            if let warp, !warp.isIdentity {
                warp.apply(p, to: scratch, width: width, height: height)
                p.update(from: scratch, count: plane)
            }
            if r.breaks { breakStroke(p, width: width, height: height, band: r.breakBand, pick: r.breakPick) }
            if r.cropX != 0 || r.cropY != 0 {
                cropWithPadding(p, to: scratch, width: width, height: height, dx: r.cropX, dy: r.cropY)
                p.update(from: scratch, count: plane)
            }
            if r.flip { flipHorizontally(p, width: width, height: height) }
        }
    }
}
