// `dtrain inspect`: what a trained model sees. Loads a checkpoint in this process, takes one
// image (image N of the checkpoint's test set, or an image file prepared as `predict` prepares it:
// MNISTStyle for handwriting models, which must take 1x28x28; resized to the model's input for the
// others), runs it through the network with the checkpoint's
// normalisation, and returns its feature maps at the chosen layers plus the first convolution's
// filters, as image records (FeatureMaps.swift) for Reports to draw.

import Core
import Foundation
import NN
import Datasets
import Collective

public struct Inspection {
    /// Which digit to show.
    public enum Digit: Equatable {
        case testIndex(Int)                   // image N of the checkpoint's test set
        case image(String)                    // an image file holding one digit
    }

    /// Channels drawn per layer when no layers are named (every spatial layer is then drawn).
    public static let defaultChannelsPerLayer = 16

    public var checkpoint: String             // the checkpoint file read
    public var model: String
    /// What was shown: "test image 17 of mnist (label 3)" or the image file's path.
    public var digitName: String
    /// The input (channel 0), then one record per layer in the order asked for.
    public var features: [ImageGridRecord]
    /// The first convolution's filters (input channel 0); nil when the model has none.
    public var filters: ImageGridRecord?

    /// Loads `checkpoint` (a file or a run folder) and shows `digit` at `layers` (nil: every layer
    /// up to the first flat one, at most `defaultChannelsPerLayer` channels each; named layers show
    /// every channel). `dataDirectory` replaces the checkpoint's data.path for a test-set digit.
    public static func run(checkpoint: String, digit: Digit, layers: [String]?, dataDirectory: String? = nil) throws -> Inspection {
        let point = try ResumePoint.read(checkpoint, comm: LocalCommunicator())
        var config = try RunConfig.fromCheckpoint(point, overrides: [])
        if let dataDirectory { config.data.path = dataDirectory }
        let network = Network(plan: try NetworkPlan(config.model))
        try Checkpoint.load(try Checkpoint.open(path: point.path, network: network, optimizer: nil), into: network, optimizer: nil)
        let chosen = try layers.map { try FeatureMaps.layerIndices(network, named: $0, option: "--layers") }
        let (pixels, name) = try input(digit, config: config, checkpoint: point.path)
        let features = pixels.withUnsafeBufferPointer { x in
            FeatureMaps.capture(network, input: x.baseAddress!, inputLabel: "input", layers: chosen ?? FeatureMaps.spatialLayers(network),
                                channelsPerLayer: chosen == nil ? defaultChannelsPerLayer : nil)
        }
        return Inspection(checkpoint: point.path, model: config.model.name, digitName: name, features: features,
                          filters: FeatureMaps.filters(network))
    }

    /// The digit's pixels, normalised as training normalised them, and how to name it.
    private static func input(_ digit: Digit, config: RunConfig, checkpoint: String) throws -> (pixels: [Float], name: String) {
        let shape = config.model.input
        switch digit {
        case .testIndex(let index):
            let test = try DatasetLoader.load(config.data.dataset, path: config.data.path, split: .test,
                                              input: (shape.c, shape.h, shape.w)).images
            guard shape.c == test.channels, shape.h == test.height, shape.w == test.width else {
                throw InputError("\(config.data.path): images are \(test.channels)x\(test.height)x\(test.width) but \(checkpoint) expects \(shape.c)x\(shape.h)x\(shape.w)")
            }
            guard index >= 0, index < test.count else {
                throw InputError("--index \(index): the test set of \(config.data.dataset) in \(config.data.path) has \(test.count) images (indices 0...\(test.count - 1))")
            }
            let one = test.subset(index..<index + 1)
            let loader = BatchLoader(set: one, capacity: 1, normalization: config.data.normalize, positiveClass: nil)
            let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
            defer { scratch.deallocate() }
            try loader.load(range: 0..<1, scratch: scratch)
            let pixels = Array(UnsafeBufferPointer(start: loader.x.pointer, count: shape.count))
            return (pixels, "test image \(index) of \(config.data.dataset) (label \(one.labels[0]))")
        case .image(let path):
            // prepared as `predict` prepares it: MNIST-style for handwriting models, else resized
            let options = ImageDecodeOptions(reduceLongestSideTo: DigitPrediction.workingSide)
            let raw: [Float]
            if DigitPrediction.usesMNISTStyle(dataset: config.data.dataset, input: shape) {
                let side = MNISTStyle.side
                guard shape.c == 1, shape.h == side, shape.w == side else {
                    throw InputError("\(checkpoint): the model '\(config.model.name)' takes \(shape.c)x\(shape.h)x\(shape.w) images but --image needs a model of 1x\(side)x\(side) (an MNIST-style digit image); use --index for this model")
                }
                raw = MNISTStyle.prepare(try ImageDecoder.decode(path: path, options: options).image)
            } else {
                raw = try ResizedImage.floats(path, channels: shape.c, height: shape.h, width: shape.w, options: options)
            }
            let plane = shape.h * shape.w
            let pixels = raw.enumerated().map { k, v in config.data.normalize?.apply(v, channel: k / plane) ?? v }
            return (pixels, path)
        }
    }
}
