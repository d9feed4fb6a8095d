// Which buffers each node of the graph (NetworkPlan.nodes: layers and block joins) reads and writes
// in a pass, and which nodes a fused pass leaves out.
//
// Slots: every node s owns the pair activations[s] / deltas[s] of Network, (N, its output). A view
// is a place in a slot: sample b of a view starts at slot + offset + b * stride. Node -1 is the
// network's input (no delta). Every node READS contiguous views (own slots); only writers into a
// concatenation use a stride.
//
// Concatenation without a copy: a branch's join owns the (N, C, H, W) slot, and each path's last
// node writes straight into its channel slice (offset c0*H*W, stride C*H*W) — layers that can
// (StridedOutputLayer), and joins, which always can. Any other path end writes its own slot and the
// join copies it in (forward) and its delta back out (backward). Nested branches slice slices.
//
// Fused pass (Network.fuses, the default for training and evaluation) drops memory-bound passes:
//   flatten        a view: it writes nothing; its consumer reads its input's view and writes its dx there
//   conv -> ReLU   the convolution stores max(v, 0) itself (Conv2D.appliesReLU) into the ReLU's view.
//                  Backward: when the ReLU feeds a max pool, the pool routes dy only where its pooled
//                  value is > 0 (Pool2D.masksGradientByOutput: ReLU's mask at the argmax cell) and the
//                  ReLU is skipped; otherwise the ReLU's backward runs in place on that view
//   add -> ReLU    a residual's join stores max(a + b, 0), and masks dy by it in its backward
// Each needs the fused node's input to have that node as its only consumer. The last node is never
// left out: its slot holds the logits and the loss's gradient.
//
// Fan-out: a node read by several nodes (a block's input) receives the sum of their dx. In backward
// order the first writer overwrites its delta; later ones write into Network's scratch and add it
// (`accumulates`). Both passes give the same numbers (a fused conv's slot holds the ReLU'd output).

import Core

struct SlotView: Equatable {
    var slot: Int           // node whose slot holds it; -1 = network input
    var offset: Int         // floats from the slot's start to sample 0
    var stride: Int         // floats between samples
}

struct PassStep {
    var node: Int
    var inputs: [SlotView]
    var inputNodes: [Int]
    var output: SlotView
    var forward = true
    var backward = true
    /// Per input: add dx into its delta (another consumer wrote it earlier in backward).
    var accumulates: [Bool]
    /// A branch's join: the inputs (indices) copied into their slice, since their writer cannot stride.
    var copies: [Int] = []
    /// A residual's join: applies the ReLU that follows it (forward and backward).
    var relu = false
}

struct PassPlan {
    let plain: [PassStep]
    let fused: [PassStep]
    /// Convolutions that apply the following ReLU themselves in a fused pass.
    let reluConvolutions: [Conv2D]
    /// Max pools that apply the fused ReLU's mask in a fused pass's backward.
    let maskingPools: [Pool2D]
    /// Whether node s's own slot is read or written by either pass (a path end that writes into its
    /// concatenation's slice in both passes never touches its own: Network gives it no memory).
    let slotUsed: [Bool]

    init(_ plan: NetworkPlan, _ layers: [Layer]) {
        plain = PassPlan.steps(plan, layers, fuse: false).steps
        let f = PassPlan.steps(plan, layers, fuse: true)
        fused = f.steps
        reluConvolutions = f.convs
        maskingPools = f.pools
        var used = [Bool](repeating: false, count: plan.nodes.count)
        for step in plain + fused {
            for v in step.inputs + [step.output] where v.slot >= 0 { used[v.slot] = true }
        }
        slotUsed = used
    }

    private static func steps(_ plan: NetworkPlan, _ layers: [Layer], fuse: Bool) -> (steps: [PassStep], convs: [Conv2D], pools: [Pool2D]) {
        let count = plan.nodes.count, last = count - 1
        var consumers = [[Int]](repeating: [], count: count)
        for id in 0..<count { for s in plan.inputs(of: id) where s >= 0 { consumers[s].append(id) } }
        func layer(_ id: Int) -> Layer? { if case .layer(let i) = plan.nodes[id] { return layers[i] } else { return nil } }
        func isAdd(_ id: Int) -> Bool { if case .join(let j) = plan.nodes[id], j.kind == .add { return true } else { return false } }

        // fusion decisions
        var skipForward = Set<Int>(), skipBackward = Set<Int>(), flattenViews: [(node: Int, source: Int)] = []
        var reluInto: [(producer: Int, relu: Int)] = []
        var convs: [Conv2D] = [], pools: [Pool2D] = [], reluAdds = Set<Int>()
        if fuse {
            for id in 0..<last {
                guard let l = layer(id), case .layer(let i) = plan.nodes[id] else { continue }
                let src = plan.layers[i].source
                guard src >= 0, consumers[src] == [id] else { continue }
                if l is Flatten {
                    skipForward.insert(id); skipBackward.insert(id); flattenViews.append((id, src))
                } else if let act = l as? Activation, act.function == .relu {
                    if let conv = layer(src) as? Conv2D {
                        let next = consumers[id].count == 1 ? layer(consumers[id][0]) as? Pool2D : nil
                        let maxPool = next.flatMap { $0.mode == .max ? $0 : nil }
                        if let maxPool { pools.append(maxPool); skipBackward.insert(id) }
                        skipForward.insert(id)
                        convs.append(conv)
                        reluInto.append((src, id))
                    } else if isAdd(src) {
                        skipForward.insert(id); skipBackward.insert(id)
                        reluAdds.insert(src)
                        reluInto.append((src, id))
                    }
                }
            }
        }

        // views: own slots; then concatenation slices (consumers before producers); then fused aliases
        var view = (0..<count).map { SlotView(slot: $0, offset: 0, stride: plan.outputShape(of: $0).count) }
        var copies = [[Int]](repeating: [], count: count)
        func writesStrided(_ id: Int) -> Bool {
            if flattenViews.contains(where: { $0.node == id }) { return false }
            if let l = layer(id) {
                if let fusedInto = reluInto.first(where: { $0.relu == id }) { return writesStrided(fusedInto.producer) }
                return l is StridedOutputLayer
            }
            return true
        }
        for id in stride(from: last, through: 0, by: -1) {
            guard case .join(let j) = plan.nodes[id], j.kind == .concat else { continue }
            let out = plan.outputShape(of: id), plane = out.h * out.w
            for (k, p) in j.inputs.enumerated() {
                if p >= 0, consumers[p] == [id], writesStrided(p) {
                    view[p] = SlotView(slot: view[id].slot, offset: view[id].offset + j.channelOffsets[k] * plane, stride: view[id].stride)
                } else {
                    copies[id].append(k)
                }
            }
        }
        for f in reluInto.reversed() { view[f.producer] = view[f.relu] }
        for f in flattenViews { view[f.node] = view[f.source] }

        // steps, then who accumulates in backward (reverse order)
        var steps: [PassStep] = (0..<count).map { id in
            let ins = plan.inputs(of: id)
            var step = PassStep(node: id, inputs: ins.map { $0 < 0 ? SlotView(slot: -1, offset: 0, stride: plan.input.count) : view[$0] },
                                inputNodes: ins, output: view[id], accumulates: ins.map { _ in false })
            if case .join(let j) = plan.nodes[id], j.kind == .concat {
                step.copies = copies[id]
                step.forward = !copies[id].isEmpty
                step.backward = !copies[id].isEmpty
            }
            if skipForward.contains(id) { step.forward = false }
            if skipBackward.contains(id) { step.backward = false }
            step.relu = reluAdds.contains(id)
            return step
        }
        var written = Set<Int>()
        for id in stride(from: last, through: 0, by: -1) where steps[id].backward {
            for (k, src) in steps[id].inputNodes.enumerated() where src >= 0 {
                let isCopyOnly = !steps[id].copies.isEmpty && !steps[id].copies.contains(k)
                if isCopyOnly { continue }                        // a sliced input: its dy is the join's own delta
                steps[id].accumulates[k] = written.contains(src)
                written.insert(src)
            }
        }
        return (steps, convs, pools)
    }
}
