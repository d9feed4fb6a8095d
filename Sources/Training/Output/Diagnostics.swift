// Per-layer diagnostics recorded each epoch on a fixed batch of validation images (rank 0):
// the fraction of dead ReLU units (zero for every sample of the batch), each layer's activation
// mean and std, and the gradient and weight norms of each parameterised layer. They answer the
// classic questions: did zero initialisation leave every unit identical, did a bias of -10 kill the
// ReLUs, do sigmoid gradients vanish in the early layers.

import Core
import Foundation
import NN
import Datasets

final class Diagnostics {
    private let network: Network
    private let loader: BatchLoader
    private let loss: LossFunction
    private let count: Int
    private let ids: UnsafeMutablePointer<Int32>

    init(network: Network, set: ImageSet, normalization: Normalization?, positiveClass: Int?, batch: Int = 128) {
        self.network = network
        count = min(batch, set.count)
        loader = BatchLoader(set: set, capacity: count, normalization: normalization, positiveClass: positiveClass)
        loss = LossFunction.forOutputs(network.outputShape.count)
        ids = .allocate(capacity: max(count, 1))
    }

    deinit { ids.deallocate() }

    /// `{"layers": [{"name", "act_mean", "act_std", ["dead_fraction"], ["grad_norm", "weight_norm"]}]}`.
    /// Uses (and leaves dirty) the network's gradient buffer: call between steps only.
    func measure() throws -> (batch: Int, layers: [LayerDiagnostics])? {
        guard count > 0 else { return nil }
        try loader.load(range: 0..<count, scratch: ids)
        let hook = network.afterLayerBackward, profile = network.profile, fuses = network.fuses
        network.afterLayerBackward = nil; network.profile = nil; network.fuses = false   // every layer's own output
        defer { network.afterLayerBackward = hook; network.profile = profile; network.fuses = fuses }
        network.zeroGradients()
        let logits = network.forward(loader.x.pointer, batch: count, context: .inference)
        _ = loss.evaluate(logits: logits, labels: loader.labels, batch: count, classes: network.outputShape.count,
                          gradient: network.outputGradient, scale: 1 / Float(count))
        network.backward()
        var offset = 0
        var layers: [LayerDiagnostics] = []
        for (i, layer) in network.layers.enumerated() {
            var entry: [(key: String, value: Double)] = []
            let per = layer.outputShape.count, a = network.activation(i), stride = network.activationStride(i)
            var sum = 0.0, squares = 0.0
            for b in 0..<count { for j in 0..<per { let v = Double(a[b * stride + j]); sum += v; squares += v * v } }
            let n = Double(per * count)
            let mean = sum / n
            entry.append(("act_mean", mean))
            entry.append(("act_std", max(squares / n - mean * mean, 0).squareRoot()))
            if let act = layer as? Activation, act.function == .relu {
                var dead = 0
                for unit in 0..<per {
                    var alive = false
                    for b in 0..<count where a[b * stride + unit] > 0 { alive = true; break }
                    if !alive { dead += 1 }
                }
                entry.append(("dead_fraction", Double(dead) / Double(per)))
            }
            let params = layer.parameterCount
            if params > 0 {
                var g2 = 0.0, w2 = 0.0
                for j in offset..<(offset + params) {
                    g2 += Double(network.gradients[j]) * Double(network.gradients[j])
                    w2 += Double(network.parameters[j]) * Double(network.parameters[j])
                }
                entry.append(("grad_norm", g2.squareRoot()))
                entry.append(("weight_norm", w2.squareRoot()))
                offset += params
            }
            layers.append(LayerDiagnostics(name: layer.name, values: entry.sorted { $0.key < $1.key }))
        }
        return (count, layers)
    }
}
