// `dtrain predict`: each image holds one object to classify. For a model of handwriting (mnist,
// emnist, kmnist) the image is decoded to grey and prepared as MNIST was made (MNISTStyle.prepare:
// invert a light background, crop to the ink, fit 20x20, centre by mass in 28x28); for any other
// model (fashion-mnist, cifar, folder) it is stretched to the model's input and converted to its
// channels as the folder dataset stores images (ResizedImage). All images are classified in one batch.

import Core
import Foundation
import Datasets
import NN

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

    /// Whether images for this model are prepared as MNIST digits were made: models of the
    /// handwriting datasets (mnist, emnist, kmnist, and idx at 1x28x28) are; others (fashion-mnist,
    /// cifar, folder, idx of other shapes) get the folder dataset's resize (ResizedImage).
    public static func usesMNISTStyle(dataset: DatasetName, input: Shape) -> Bool {
        let digitShape = input.c == 1 && input.h == MNISTStyle.side && input.w == MNISTStyle.side
        switch dataset {
        case .mnist, .emnist, .kmnist: return true
        case .idx: return digitShape
        case .fashionMNIST, .cifar10, .cifar100, .folder: return false
        }
    }

    /// Classifies every image (decode errors name the file; nothing is classified until all decode).
    public static func run(_ images: [String], classifier: CheckpointClassifier, top k: Int = 3,
                           decodeOptions: ImageDecodeOptions = .init(reduceLongestSideTo: workingSide)) throws -> [ImagePrediction] {
        let mnistStyle = usesMNISTStyle(dataset: classifier.dataset, input: classifier.input)
        if mnistStyle { try classifier.require(c: 1, h: MNISTStyle.side, w: MNISTStyle.side, for: "an MNIST-style digit image") }
        let input = classifier.input
        var pixels: [Float] = []
        pixels.reserveCapacity(images.count * input.c * input.h * input.w)
        for path in images {
            pixels += mnistStyle
                ? MNISTStyle.prepare(try ImageDecoder.decode(path: path, options: decodeOptions).image)
                : try ResizedImage.floats(path, channels: input.c, height: input.h, width: input.w, options: decodeOptions)
        }
        let p = classifier.probabilities(pixels, count: images.count)
        return images.indices.map { i in
            ImagePrediction(image: images[i], top: classifier.top(min(k, classifier.classes), of: p, row: i))
        }
    }
}
