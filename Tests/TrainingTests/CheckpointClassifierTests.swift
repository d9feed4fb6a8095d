// CheckpointClassifier, the model behind `dtrain predict` and `read-digits`: it loads a saved
// checkpoint's network and normalisation, returns softmax rows that sum to 1 and equal a
// hand-computed softmax of the network's logits, orders top-k by probability, and refuses a
// model that does not take 1x28x28 digits or has a single (logistic) output, naming the file.

import Core
import Foundation
import NN
import Training
import XCTest

final class CheckpointClassifierTests: XCTestCase {
    /// Saves a freshly initialised network of `modelYAML` (inline spec) with a valid metadata block.
    @discardableResult
    private func save(modelYAML: String, extra: String = "") throws -> (path: String, config: RunConfig) {
        let folder = NSTemporaryDirectory() + "dtrain-classifier-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        let yaml = "model:\n\(modelYAML)\n\(extra)output: \(folder)\n"
        let config = try RunConfig.parse(ConfigValue.parse(yaml: yaml, file: "test.yaml"), file: "test.yaml")
        let network = Network(plan: try NetworkPlan(config.model))
        var rng = SplitMix64(seed: 7)
        for i in 0 ..< network.parameters.count { network.parameters[i] = Float(rng.nextUnitDouble() - 0.5) * 0.2 }
        let metadata = CheckpointMetadata(config: config.resolvedYAML, epoch: 1, step: 10, seed: 42, worldSize: 1, batchSize: 8,
                                          globalBatch: 8, model: config.model.name, dtrainVersion: "test", valAccuracy: nil,
                                          bestValAccuracy: nil, allreduce: "flat", exactShift: 0, partialEpoch: nil)
        let path = folder + "/latest.safetensors"
        try Checkpoint.save(path: path, network: network, optimizer: nil, metadata: metadata.strings)
        return (path, config)
    }

    private let digitModel = """
          name: tiny
          input: [1, 28, 28]
          layers:
            - conv: {name: conv1, out: 2, kernel: 5, stride: 4}
            - relu
            - flatten
            - linear: {name: fc, out: 10}
        """

    func testProbabilitiesAreTheSoftmaxOfTheLogitsWithTheSavedNormalisation() throws {
        let (path, config) = try save(modelYAML: digitModel, extra: "data: {normalize: {mean: 0.5, std: 0.25}}\n")
        let classifier = try CheckpointClassifier(checkpoint: path)
        XCTAssertEqual(classifier.classes, 10)
        try classifier.require(c: 1, h: 28, w: 28, for: "digits")
        var rng = SplitMix64(seed: 3)
        let n = 70                                     // more than one forward chunk
        let pixels = (0 ..< n * 784).map { _ in Float(rng.nextUnitDouble()) }
        let p = classifier.probabilities(pixels, count: n)
        XCTAssertEqual(p.count, n * 10)

        // the same network, loaded independently, on the normalised pixels
        let network = Network(plan: try NetworkPlan(config.model))
        try Checkpoint.load(try Checkpoint.open(path: path, network: network, optimizer: nil), into: network, optimizer: nil)
        let x = pixels.map { ($0 - 0.5) / 0.25 }
        let logits: [Float] = x.withUnsafeBufferPointer { xs in
            let out = network.forward(xs.baseAddress!, batch: n, context: PassContext.inference)
            return Array(UnsafeBufferPointer(start: out, count: n * 10))
        }
        for r in 0 ..< n {
            let z = logits[r * 10 ..< (r + 1) * 10].map(Double.init)
            let m = z.max()!, e = z.map { exp($0 - m) }, s = e.reduce(0, +)
            for j in 0 ..< 10 { XCTAssertEqual(Double(p[r * 10 + j]), e[j] / s, accuracy: 1e-5, "row \(r) class \(j)") }
            let top = classifier.top(3, of: p, row: r)
            XCTAssertEqual(top.count, 3)
            XCTAssertEqual(top[0].label, (0 ..< 10).max { p[r * 10 + $0] < p[r * 10 + $1] })
            XCTAssert(top[0].probability >= top[1].probability && top[1].probability >= top[2].probability)
        }
    }

    /// A colour model saved with per-channel numbers: each input channel is normalised with its own.
    func testPerChannelNormalisationIsApplied() throws {
        let (path, config) = try save(modelYAML: """
              name: colour
              input: [3, 4, 4]
              layers:
                - flatten
                - linear: {name: fc, out: 10}
            """, extra: "data: {normalize: {mean: [0.5, 0.25, 0.75], std: [0.25, 0.5, 0.125]}}\n")
        let classifier = try CheckpointClassifier(checkpoint: path)
        let pixels = (0 ..< 2 * 48).map { Float($0 % 17) / 16 }
        let p = classifier.probabilities(pixels, count: 2)
        let network = Network(plan: try NetworkPlan(config.model))
        try Checkpoint.load(try Checkpoint.open(path: path, network: network, optimizer: nil), into: network, optimizer: nil)
        let mean: [Float] = [0.5, 0.25, 0.75], std: [Float] = [0.25, 0.5, 0.125]
        let x = pixels.enumerated().map { k, v in (v - mean[k % 48 / 16]) / std[k % 48 / 16] }
        let logits: [Float] = x.withUnsafeBufferPointer { xs in
            Array(UnsafeBufferPointer(start: network.forward(xs.baseAddress!, batch: 2, context: PassContext.inference), count: 20))
        }
        for r in 0 ..< 2 {
            let z = logits[r * 10 ..< (r + 1) * 10].map(Double.init)
            let m = z.max()!, e = z.map { exp($0 - m) }, s = e.reduce(0, +)
            for j in 0 ..< 10 { XCTAssertEqual(Double(p[r * 10 + j]), e[j] / s, accuracy: 1e-5, "row \(r) class \(j)") }
        }
    }

    func testAModelOfAnotherInputShapeIsRefusedNamingTheCheckpoint() throws {
        let path = try save(modelYAML: """
              name: colour
              input: [3, 32, 32]
              layers:
                - flatten
                - linear: {name: fc, out: 10}
            """).path
        let classifier = try CheckpointClassifier(checkpoint: path)
        XCTAssertThrowsError(try classifier.require(c: 1, h: 28, w: 28, for: "reading digits")) { error in
            let message = (error as? InputError)?.message ?? ""
            XCTAssertTrue(message.contains(path) && message.contains("3x32x32") && message.contains("1x28x28"), message)
        }
    }

    func testALogisticModelIsRefused() throws {
        let path = try save(modelYAML: """
              name: logistic
              input: [1, 28, 28]
              layers:
                - flatten
                - linear: {name: fc, out: 1}
            """, extra: "data: {positive_class: 3}\n").path
        XCTAssertThrowsError(try CheckpointClassifier(checkpoint: path)) { error in
            let message = (error as? InputError)?.message ?? ""
            XCTAssertTrue(message.contains(path) && message.contains("1 output"), message)
        }
    }
}
