// Files written beside metrics.jsonl at the end of training for the report, as the records that
// Reports reads back (Core/Records/ArtifactRecords.swift), each replaced atomically:
//   confusion.json  ConfusionRecord: rows = true label, labels "0", "1", ...
//   filters.json    ImageGridRecord: the first conv's filters (input channel 0)
//   features.json   ImageGridRecord: one test digit's feature maps after each spatial layer

import Core
import Foundation
import NN
import Datasets

enum Artifacts {
    static func writeConfusion(_ result: EvaluationResult, folder: String) throws {
        guard let m = result.confusion else { return }
        let k = result.classes
        let matrix = (0..<k).map { t in Array(m[(t * k)..<((t + 1) * k)]) }
        try ConfusionRecord(classes: k, matrix: matrix, labels: (0..<k).map(String.init)).write(to: folder + "/confusion.json")
    }

    private static func image(width: Int, height: Int, values: UnsafePointer<Float>, label: String) -> ImageGridRecord.Image {
        ImageGridRecord.Image(width: width, height: height, values: Array(UnsafeBufferPointer(start: values, count: width * height)),
                              label: label)
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
        try ImageGridRecord(layer: conv.name, images: images).write(to: folder + "/filters.json")
    }

    /// One test digit's feature maps after each spatial layer (at most 8 channels per layer).
    static func writeFeatures(_ network: Network, digit: ImageSet, normalization: Normalization?, folder: String) throws {
        guard digit.count > 0 else { return }
        let loader = BatchLoader(set: digit, capacity: 1, normalization: normalization, positiveClass: nil)
        let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        defer { scratch.deallocate() }
        try loader.load(range: 0..<1, scratch: scratch)
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
        try ImageGridRecord(layer: "test digit 0", images: images).write(to: folder + "/features.json")
    }
}
