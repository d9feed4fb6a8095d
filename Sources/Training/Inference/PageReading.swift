// `dtrain read-digits`: the digits on a photographed page, in reading order. The photo is decoded
// at a reduced size (a long side of about `workingSide` pixels: JPEG scales in the DCT, so a
// 12-megapixel photo decodes at a quarter of the pixels), segmented into one region per digit
// (DigitSegmenter: flattened illumination, threshold, components, merged strokes, split
// touching digits, rows), each region fitted as MNIST was made, and all of them classified in
// one batch, together with the other readings of the cuts the segmenter was unsure of (a split
// blob whole, a wide blob halved, two pieces joined); SegmentationArbitration keeps the reading
// the classifier is surest of. Boxes are reported in the photo's own pixel coordinates (after
// EXIF orientation).

import Core
import Foundation
import Datasets

public struct PageDigit: Sendable {
    public var label: Int
    public var confidence: Double            // softmax probability of `label`, 0...1
    public var box: PixelBox                 // photo coordinates
    public var row: Int
}

public struct PageReading: Sendable {
    public var image: String
    public var digits: [PageDigit]           // reading order
    public var photoWidth: Int, photoHeight: Int
    /// Seconds spent decoding, segmenting and classifying (inference includes the MNIST-style fits).
    public var decodeSeconds = 0.0, segmentSeconds = 0.0, inferenceSeconds = 0.0

    public var text: String { digits.map { String($0.label) }.joined(separator: " ") }

    /// DESIGN.md's exact line: `PHOTO contains N numbers: d d d` (`PHOTO contains 0 numbers:` for none).
    public var line: String { "\(image) contains \(digits.count) numbers:" + (digits.isEmpty ? "" : " " + text) }

    /// {"image", "count", "text", "digits": [{"label", "confidence", "box": [x, y, w, h], "row"}]}.
    public var json: JSONObject {
        var o = JSONObject()
        o.set("image", .string(image))
        o.set("count", .int(digits.count))
        o.set("text", .string(text))
        o.set("digits", .array(digits.map { d in
            var e = JSONObject()
            e.set("label", .int(d.label))
            e.set("confidence", .double((d.confidence * 10_000).rounded() / 10_000))
            e.set("box", .array([d.box.x, d.box.y, d.box.width, d.box.height].map { .int($0) }))
            e.set("row", .int(d.row))
            return .object(e)
        }))
        return o
    }

    /// `decode 41.2 ms  segment 80.1 ms  inference 3.3 ms` for --timings.
    public var timingLine: String {
        String(format: "%@: decode %.1f ms  segment %.1f ms  inference %.1f ms", image,
               1000 * decodeSeconds, 1000 * segmentSeconds, 1000 * inferenceSeconds)
    }
}

public enum PageReader {
    /// The long side, in pixels, a photo is reduced towards before segmentation (never below it).
    /// JPEG reduces by 2, 4 or 8, so the working long side is 1500 to about 3000 px (smaller
    /// photos stay whole): a 4000 x 3000 photo works at 2000 x 1500. With 2000 here a 3975 px
    /// photo stayed whole (12 megapixels) and took 0.4 s to segment. On generated pages 1500
    /// reads as well as 2000, and 1200 slightly worse.
    public static let workingSide = 1500

    /// Reads one photo. `keepImage` also returns the decoded (reduced) grey image and its scale,
    /// for drawing the annotation.
    public static func read(_ photo: String, classifier: CheckpointClassifier,
                            maxPixels: Int = ImageDecodeOptions().maxPixels) throws -> (PageReading, DecodedImage) {
        try classifier.require(c: 1, h: MNISTStyle.side, w: MNISTStyle.side, for: "reading digits")
        let t0 = monotonicSeconds()
        let decoded = try ImageDecoder.decode(path: photo, options: ImageDecodeOptions(maxPixels: maxPixels, reduceLongestSideTo: workingSide))
        let t1 = monotonicSeconds()
        let segmentation = DigitSegmenter.segmentation(decoded.image)
        let t2 = monotonicSeconds()
        let candidates = segmentation.candidates
        var pixels: [Float] = []
        pixels.reserveCapacity(candidates.count * MNISTStyle.side * MNISTStyle.side)
        for r in candidates { pixels += MNISTStyle.fit(ink: r.ink) }
        let p = classifier.probabilities(pixels, count: candidates.count)
        let best = candidates.indices.map { classifier.top(1, of: p, row: $0)[0] }
        let chosen = SegmentationArbitration.reading(of: segmentation, confidence: best.map(\.probability))
        let digits = chosen.map { i in
            PageDigit(label: best[i].label, confidence: best[i].probability,
                      box: photoBox(candidates[i].box, decoded), row: candidates[i].row)
        }
        let t3 = monotonicSeconds()
        let reading = PageReading(image: photo, digits: digits, photoWidth: decoded.originalWidth, photoHeight: decoded.originalHeight,
                                  decodeSeconds: t1 - t0, segmentSeconds: t2 - t1, inferenceSeconds: t3 - t2)
        return (reading, decoded)
    }

    /// A box of the reduced image in the photo's coordinates (rounded outwards, clipped to the photo).
    static func photoBox(_ b: PixelBox, _ d: DecodedImage) -> PixelBox {
        let s = d.scale
        let x0 = max(0, Int((Double(b.x) * s + d.originX).rounded(.down)))
        let y0 = max(0, Int((Double(b.y) * s + d.originY).rounded(.down)))
        let x1 = min(d.originalWidth, Int((Double(b.x + b.width) * s + d.originX).rounded(.up)))
        let y1 = min(d.originalHeight, Int((Double(b.y + b.height) * s + d.originY).rounded(.up)))
        return PixelBox(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }
}
