// Files written beside metrics.jsonl at the end of training for the report (the shapes
// Reports' ConfusionRecord / ImageGridRecord read):
//   confusion.json  {"classes": K, "matrix": [[K x K counts]], "labels": [...]}  rows = true label
//   filters.json    {"layer": "conv1", "images": [{"width", "height", "values", "label"}]}  first conv's filters
//   features.json   the feature maps of one test digit after each conv/activation/pool layer

import Core
import Foundation
import NN
import Datasets

enum Artifacts {
    static func writeConfusion(_ result: EvaluationResult, folder: String) throws {
        guard let m = result.confusion else { return }
        let k = result.classes
        let rows = (0..<k).map { t in "[" + (0..<k).map { String(m[t * k + $0]) }.joined(separator: ", ") + "]" }
        let labels = (0..<k).map { "\"\($0)\"" }.joined(separator: ", ")
        let text = "{\"classes\": \(k), \"matrix\": [\n  " + rows.joined(separator: ",\n  ") + "\n], \"labels\": [\(labels)]}\n"
        try writeAtomically(Array(text.utf8), to: folder + "/confusion.json")
    }

    private static func image(width: Int, height: Int, values: UnsafePointer<Float>, label: String) -> String {
        let v = (0..<(width * height)).map { String(format: "%.6g", values[$0]) }.joined(separator: ",")
        return "{\"width\": \(width), \"height\": \(height), \"label\": \(jsonQuoted(label)), \"values\": [\(v)]}"
    }

    private static func grid(layer: String, images: [String]) -> String {
        "{\"layer\": \(jsonQuoted(layer)), \"images\": [\n  " + images.joined(separator: ",\n  ") + "\n]}\n"
    }

    /// The first convolution's filters, one image per output channel (input channel 0).
    static func writeFilters(_ network: Network, folder: String) throws {
        guard let conv = network.layers.first(where: { $0 is Conv2D }) as? Conv2D,
              let tensor = network.tensor(named: conv.name + ".weight") else { return }
        let g = conv.geometry, per = g.c * g.kh * g.kw
        let base = network.parameters.baseAddress! + tensor.offset
        let images = (0..<conv.outChannels).map {
            image(width: g.kw, height: g.kh, values: base + $0 * per, label: "\(conv.name) filter \($0)")
        }
        try writeAtomically(Array(grid(layer: conv.name, images: images).utf8), to: folder + "/filters.json")
    }

    /// One test digit's feature maps after each spatial layer (at most 8 channels per layer).
    static func writeFeatures(_ network: Network, digit: ImageSet, normalization: Normalization?, folder: String) throws {
        guard digit.count > 0 else { return }
        let loader = BatchLoader(set: digit, capacity: 1, normalization: normalization, positiveClass: nil)
        let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        defer { scratch.deallocate() }
        loader.load(range: 0..<1, scratch: scratch)
        let fuses = network.fuses
        network.fuses = false                         // each layer's own output (a conv's before ReLU)
        defer { network.fuses = fuses }
        network.forward(loader.x.pointer, batch: 1, context: .inference)
        var images = [image(width: digit.width, height: digit.height, values: loader.x.pointer, label: "input (label \(digit.labels[0]))")]
        for (i, layer) in network.layers.enumerated() {
            let s = layer.outputShape
            guard !s.isFlat, s.h > 1 || s.w > 1 else { break }
            let a = network.activation(i)
            for c in 0..<min(s.c, 8) {
                images.append(image(width: s.w, height: s.h, values: a + c * s.h * s.w, label: "\(layer.name) ch \(c)"))
            }
        }
        try writeAtomically(Array(grid(layer: "test digit 0", images: images).utf8), to: folder + "/features.json")
    }
}
