// Which buffers each layer reads and writes in a pass, and which layers a fused pass leaves out.
// A slot s is the pair activations[s] / deltas[s] of Network (layer s's own buffers); -1 is the
// network's input, which has no delta.
//
// Plain pass: layer i reads slot i - 1 and writes slot i — every layer's own output is kept, which
// is what Diagnostics, feature maps and the per-layer tests look at.
// Fused pass (Network.fuses, the default for training and evaluation) drops two memory-bound passes:
//   flatten        a view: it writes nothing; the next layer reads its input slot directly, and
//                  writes its dx there
//   conv -> ReLU   the convolution stores max(v, 0) itself (Conv2D.appliesReLU), into its own slot,
//                  which stands for the ReLU's output too. Backward: when the ReLU feeds a max pool,
//                  the pool routes dy only where its pooled value is > 0 (Pool2D.masksGradientByOutput:
//                  exactly ReLU's mask at the argmax cell) and the ReLU is skipped; otherwise the ReLU's
//                  backward runs in place on the convolution's delta slot.
// Both give the same numbers as the plain pass (the conv's slot then holds the ReLU'd output).
// The last layer is never left out: its slot holds the logits and the loss's gradient.

import Core

struct LayerRoute {
    var input: Int          // slot read (and whose delta receives dx); -1 = network input
    var output: Int         // slot written (and whose delta holds dy)
    var forward = true
    var backward = true
}

struct PassPlan {
    let plain: [LayerRoute]
    let fused: [LayerRoute]
    /// Convolutions that apply the following ReLU themselves in a fused pass.
    let reluConvolutions: [Conv2D]
    /// Max pools that apply the fused ReLU's mask in a fused pass's backward.
    let maskingPools: [Pool2D]

    init(_ layers: [Layer]) {
        plain = layers.indices.map { LayerRoute(input: $0 - 1, output: $0) }
        var routes: [LayerRoute] = [], convs: [Conv2D] = [], pools: [Pool2D] = []
        let last = layers.count - 1
        for (i, layer) in layers.enumerated() {
            let input = i == 0 ? -1 : routes[i - 1].output
            var route = LayerRoute(input: input, output: i)
            if i < last, i > 0, layer is Flatten {
                route = LayerRoute(input: input, output: input, forward: false, backward: false)
            } else if i < last, i > 0, let act = layer as? Activation, act.function == .relu,
                      let conv = layers[i - 1] as? Conv2D {
                let maxPool = (layers[i + 1] as? Pool2D).flatMap { $0.mode == .max ? $0 : nil }
                if let maxPool { pools.append(maxPool) }
                route = LayerRoute(input: input, output: input, forward: false, backward: maxPool == nil)
                convs.append(conv)
            }
            routes.append(route)
        }
        fused = routes
        reluConvolutions = convs
        maskingPools = pools
    }
}
