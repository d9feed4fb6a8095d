// What a network sees, as image records (Core/Records/ArtifactRecords.swift) for the report and
// for `dtrain inspect`: the first convolution's filters, and one input's feature maps after
// chosen layers. Feature maps are read with fusion off, so a convolution's own output (before
// its ReLU) is drawn. A spatial output (C, H, W) gives one H x W image per channel; a flat output
// (a linear layer's N values) gives one 1 x N strip. Input pixels are (C, H, W), normalised as
// training normalised them; only channel 0 of a multi-channel input or filter is drawn.

import Core
import Foundation
import NN

public enum FeatureMaps {
    /// The first convolution's filters, one image per output channel (input channel 0), captioned
    /// "filter k"; nil when the network has no convolution.
    public static func filters(_ network: Network) -> ImageGridRecord? {
        guard let conv = network.layers.first(where: { $0 is Conv2D }) as? Conv2D,
              let tensor = network.tensor(named: conv.name + ".weight") else { return nil }
        let g = conv.geometry, per = g.c * g.kh * g.kw
        let base = network.parameters.baseAddress! + tensor.offset
        let images = (0..<conv.outChannels).map {
            image(width: g.kw, height: g.kh, values: base + $0 * per, label: "filter \($0)")
        }
        return ImageGridRecord(layer: conv.name, images: images)
    }

    /// Indices of the layers named `names`, in the order given; throws naming `option` and the
    /// network's layer names when one is unknown.
    public static func layerIndices(_ network: Network, named names: [String], option: String) throws -> [Int] {
        let all = network.layers.map(\.name)
        return try names.map { name in
            guard let i = all.firstIndex(of: name) else {
                throw InputError("\(option) \(name): no such layer (the model's layers: \(all.joined(separator: ", ")))")
            }
            return i
        }
    }

    /// Indices of the layers the report draws by default: every layer up to the first whose output
    /// is flat or 1 x 1.
    public static func spatialLayers(_ network: Network) -> [Int] {
        var out: [Int] = []
        for (i, layer) in network.layers.enumerated() {
            let s = layer.outputShape
            guard !s.isFlat, s.h > 1 || s.w > 1 else { break }
            out.append(i)
        }
        return out
    }

    /// Runs one image `x` (input.count values, already normalised) through `network` in inference
    /// mode and returns the input (channel 0, captioned `inputLabel`, in a record named "input")
    /// followed by one record per layer of `layers`, at most `channelsPerLayer` channels each (nil: all).
    public static func capture(_ network: Network, input x: UnsafePointer<Float>, inputLabel: String,
                               layers: [Int], channelsPerLayer: Int?) -> [ImageGridRecord] {
        let fuses = network.fuses
        network.fuses = false
        defer { network.fuses = fuses }
        network.forward(x, batch: 1, context: .inference)
        let input = network.plan.spec.input
        var records = [ImageGridRecord(layer: "input", images: [image(width: input.w, height: input.h, values: x, label: inputLabel)])]
        for i in layers {
            let layer = network.layers[i], s = layer.outputShape, a = network.activation(i)
            if s.isFlat || (s.h == 1 && s.w == 1) {
                let strip = image(width: s.count, height: 1, values: a, label: "\(layer.name) (\(s.count) values)")
                records.append(ImageGridRecord(layer: layer.name, images: [strip]))
                continue
            }
            let images = (0..<min(s.c, channelsPerLayer ?? s.c)).map { c in
                image(width: s.w, height: s.h, values: a + c * s.h * s.w, label: "\(layer.name) ch \(c)")
            }
            records.append(ImageGridRecord(layer: layer.name, images: images))
        }
        return records
    }

    private static func image(width: Int, height: Int, values: UnsafePointer<Float>, label: String) -> ImageGridRecord.Image {
        ImageGridRecord.Image(width: width, height: height, values: Array(UnsafeBufferPointer(start: values, count: width * height)),
                              label: label)
    }
}
