// `dtrain predict`: each image holds one digit. It is decoded to grey, prepared as MNIST was made
// (MNISTStyle.prepare: invert a light background, crop to the ink, fit 20x20, centre by mass in
// 28x28), and all images are classified in one batch by a model that takes 1x28x28.

import Core
import Foundation
import Datasets

public struct ImagePrediction: Sendable {
    public var image: String
    public var top: [ClassScore]            // best first; top[0] is the answer

    /// `IMAGE: 7 (98.1%)  top-3: 7 98.1%, 1 1.2%, 9 0.4%` — one line per image; a class with a
    /// name in the checkpoint prints as `1 Trouser`.
    public var line: String {
        let best = top[0]
        return "\(image): \(best.text) " + String(format: "(%.1f%%)  top-%d: ", 100 * best.probability, top.count)
            + top.map { "\($0.text) " + String(format: "%.1f%%", 100 * $0.probability) }.joined(separator: ", ")
    }

    /// {"image", "label", "confidence", "top": [{"label", "confidence"}, ...]} (confidences in 0...1).
    public var json: JSONObject {
        var o = JSONObject()
        o.set("image", .string(image))
        o.set("label", .int(top[0].label))
        if let name = top[0].name { o.set("name", .string(name)) }
        o.set("confidence", .double(top[0].probability))
        o.set("top", .array(top.map { s in
            var e = JSONObject(); e.set("label", .int(s.label)); e.set("confidence", .double(s.probability))
            if let name = s.name { e.set("name", .string(name)) }
            return .object(e)
        }))
        return o
    }
}

public enum DigitPrediction {
    /// Images are decoded with their longest side reduced to about this (never below): a digit
    /// needs 20x20 in the end, and a huge image must not cost gigabytes in preprocessing.
    public static let workingSide = 512

    /// Classifies every image (decode errors name the file; nothing is classified until all decode).
    public static func run(_ images: [String], classifier: CheckpointClassifier, top k: Int = 3,
                           decodeOptions: ImageDecodeOptions = .init(reduceLongestSideTo: workingSide)) throws -> [ImagePrediction] {
        try classifier.require(c: 1, h: MNISTStyle.side, w: MNISTStyle.side, for: "an MNIST-style digit image")
        var pixels: [Float] = []
        pixels.reserveCapacity(images.count * MNISTStyle.side * MNISTStyle.side)
        for path in images {
            pixels += MNISTStyle.prepare(try ImageDecoder.decode(path: path, options: decodeOptions).image)
        }
        let p = classifier.probabilities(pixels, count: images.count)
        return images.indices.map { i in
            ImagePrediction(image: images[i], top: classifier.top(min(k, classifier.classes), of: p, row: i))
        }
    }
}
