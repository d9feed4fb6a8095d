// A checkpoint's model, loaded in this process for inference on images that are not in a
// dataset (`dtrain predict`, `dtrain read-digits`). Inputs are (N, C, H, W) pixels in [0, 1]
// with ink 1 on background 0 (MNIST's polarity); the model's own normalisation (the saved
// config's data.normalize) is applied here, as training applied it. Outputs are softmax
// probabilities, (N, classes) row-major.

import Core
import Foundation
import NN
import Datasets
import Collective

public struct ClassScore: Equatable, Sendable {
    public var label: Int
    public var probability: Double
    /// The class's name from the checkpoint's class_names; nil when it has none or the name is the number.
    public var name: String? = nil

    /// "7", or "1 Trouser" when the class has a name.
    public var text: String { name.map { "\(label) \($0)" } ?? String(label) }
}

public final class CheckpointClassifier {
    public let path: String                   // the checkpoint file read
    public let modelName: String
    public let input: Shape
    public let classes: Int
    /// The dataset the model was trained on (the checkpoint's data.dataset): how images are prepared.
    public let dataset: DatasetName
    /// The checkpoint's class_names, one per output (outputs past the data's classes named by
    /// number); nil when the checkpoint has none.
    public let classNames: [String]?
    private let network: Network
    private let normalization: Normalization?
    /// Images per forward pass: bounds the activation buffers as evaluation does.
    private let chunk = Evaluator.chunkLimit

    /// Reads FILE (or DIR/latest.safetensors) and builds its network. A logistic (1-output) model
    /// is refused: these commands name a class.
    public init(checkpoint: String) throws {
        let comm = LocalCommunicator()
        let point = try ResumePoint.read(checkpoint, comm: comm)
        let config = try RunConfig.fromCheckpoint(point, overrides: [])
        let network = Network(plan: try NetworkPlan(config.model))
        try Checkpoint.load(try Checkpoint.open(path: point.path, network: network, optimizer: nil),
                            into: network, optimizer: nil)
        guard network.outputShape.count >= 2 else {
            throw InputError("\(point.path): the model has 1 output (a logistic model); a classifier with one output per class is needed")
        }
        path = point.path
        modelName = config.model.name
        input = config.model.input
        classes = network.outputShape.count
        dataset = config.data.dataset
        classNames = point.metadata.classNames.map { LabelledImages.names($0, count: network.outputShape.count) }
        normalization = config.data.normalize
        self.network = network
    }

    /// Throws unless the model takes c x h x w images, naming the checkpoint and both shapes.
    public func require(c: Int, h: Int, w: Int, for purpose: String) throws {
        guard input.c == c, input.h == h, input.w == w else {
            throw InputError("\(path): the model '\(modelName)' takes \(input.c)x\(input.h)x\(input.w) images but \(purpose) needs \(c)x\(h)x\(w)")
        }
    }

    /// Class probabilities of `count` images stored back to back in `pixels`
    /// (count x C*H*W values in [0, 1]). Returns (count, classes) row-major.
    public func probabilities(_ pixels: [Float], count: Int) -> [Float] {
        let size = input.count
        precondition(pixels.count == count * size, "CheckpointClassifier: \(pixels.count) values for \(count) images of \(size)")
        var out = [Float](repeating: 0, count: count * classes)
        var x = [Float](repeating: 0, count: min(count, chunk) * size)
        let plane = input.h * input.w
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            for i in 0 ..< n * size {
                let v = pixels[start * size + i]
                x[i] = normalization?.apply(v, channel: i % size / plane) ?? v
            }
            let logits = x.withUnsafeBufferPointer { network.forward($0.baseAddress!, batch: n, context: .inference) }
            for r in 0 ..< n { softmax(logits + r * classes, into: &out, at: (start + r) * classes) }
            start += n
        }
        return out
    }

    /// The `k` most probable classes of image `row` of a `probabilities` result, best first.
    public func top(_ k: Int, of probabilities: [Float], row: Int) -> [ClassScore] {
        let p = probabilities[row * classes ..< (row + 1) * classes]
        return p.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }.prefix(k).map {
            let label = $0 - row * classes
            let name = classNames.flatMap { $0[label] == String(label) ? nil : $0[label] }
            return ClassScore(label: label, probability: Double(p[$0]), name: name)
        }
    }

    private func softmax(_ z: UnsafePointer<Float>, into out: inout [Float], at offset: Int) {
        var m = -Float.infinity
        for j in 0 ..< classes { m = max(m, z[j]) }
        var sum: Float = 0
        for j in 0 ..< classes { let e = expf(z[j] - m); out[offset + j] = e; sum += e }
        for j in 0 ..< classes { out[offset + j] /= sum }
    }
}
