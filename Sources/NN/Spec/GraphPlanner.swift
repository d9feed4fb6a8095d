// Plans a spec's layer list into NetworkPlan's nodes, recursing into blocks. Each path (the top
// level, a branch's paths[k], a residual's body and shortcut) has its own default-name counters
// and a scope: its layers are named `<scope>.<name>` (scope: the block's dot path, then
// `branch<k>` or `shortcut`; a residual's body adds nothing), as DESIGN.md "Graph blocks" fixes.
// Locations in messages follow the YAML nesting with the blocks' names: layers[5].inception4a.branch2[1].

import Core

struct GraphPlanner {
    let spec: ModelSpec
    var layers: [PlannedLayer] = []
    var nodes: [PlannedNode] = []
    private var names = Set<String>()
    private var total = 0
    /// Position of the last linear layer in execution order (the AlexNet preset's hidden layers).
    private let lastLinear: Int?
    /// Every convolution of the spec, blocks included, and whether it holds a block.
    private let convolutionCount: Int
    private let hasBlocks: Bool
    /// Convolutions planned so far: the next one's 1-based position is this + 1.
    private var convolutionsPlanned = 0

    init(spec: ModelSpec) {
        self.spec = spec
        var order = 0, last: Int?, convolutions = 0, blocks = false
        func scan(_ items: [LayerSpec]) {
            for item in items {
                switch item.kind {
                case .branch(let paths): blocks = true; paths.forEach(scan)
                case .residual(let body, let shortcut): blocks = true; scan(body); scan(shortcut ?? [])
                case .linear: last = order; order += 1
                case .conv: convolutions += 1; order += 1
                default: order += 1
                }
            }
        }
        scan(spec.layers)
        lastLinear = last
        convolutionCount = convolutions
        hasBlocks = blocks
    }

    /// Throws when the spec's init preset cannot be applied to its layers: `alexnet` numbers the
    /// convolutions of a plain chain (AlexNet's five), so a spec with blocks or more than five
    /// convolutions is refused rather than guessed at.
    func checkInitPreset() throws {
        guard spec.initPreset == .alexnet else { return }
        let fix = "give each layer its own init, or use another preset (pytorch, he, xavier)"
        if hasBlocks {
            throw InputError("\(spec.source): init alexnet: the preset numbers the convolutions of a plain layer list (bias 1 in the 2nd, 4th and 5th) and this spec has branch or residual blocks: \(fix)")
        }
        if convolutionCount > InitPreset.alexnetMaxConvolutions {
            throw InputError("\(spec.source): init alexnet: the preset numbers at most \(InitPreset.alexnetMaxConvolutions) convolutions (bias 1 in the 2nd, 4th and 5th) and this spec has \(convolutionCount): \(fix)")
        }
    }

    /// Plans `items` reading node `from` of shape `shape`; returns the path's last node and shape.
    mutating func plan(_ items: [LayerSpec], from: Int, shape: Shape, scope: String, at: String, depth: Int) throws -> (node: Int, shape: Shape) {
        guard !items.isEmpty else { throw InputError("\(spec.source): \(at): expected a non-empty list of layers") }
        var counters: [String: Int] = [:]
        var node = from, shape = shape
        for (i, item) in items.enumerated() {
            let prefix = item.kind.namePrefix
            counters[prefix, default: 0] += 1
            let own = item.name ?? "\(prefix)\(counters[prefix]!)"
            let name = scope.isEmpty ? own : "\(scope).\(own)"
            let location = "\(at)[\(i)]"
            guard names.insert(name).inserted else {
                throw InputError("\(spec.source): \(location) (\(name)): the name '\(name)' is used twice")
            }
            switch item.kind {
            case .branch(let paths):
                (node, shape) = try planBranch(paths, from: node, shape: shape, name: name, at: "\(location).\(own)", depth: depth)
            case .residual(let body, let shortcut):
                (node, shape) = try planResidual(body, shortcut, from: node, shape: shape, name: name, at: "\(location).\(own)", depth: depth)
            default:
                shape = try planLayer(item, from: node, shape: shape, name: name, at: "\(spec.source): \(location) (\(name))", depth: depth)
                node = nodes.count - 1
            }
        }
        return (node, shape)
    }

    private mutating func planBranch(_ paths: [[LayerSpec]], from: Int, shape: Shape, name: String, at: String,
                                     depth: Int) throws -> (Int, Shape) {
        let firstLayer = layers.count, paramsBefore = total
        var ends: [(node: Int, shape: Shape)] = []
        for (k, path) in paths.enumerated() {
            ends.append(try plan(path, from: from, shape: shape, scope: "\(name).branch\(k + 1)", at: "\(at).branch\(k + 1)", depth: depth + 1))
        }
        let first = ends[0].shape
        for (k, end) in ends.enumerated() where end.shape.isFlat != first.isFlat || end.shape.h != first.h || end.shape.w != first.w {
            let all = ends.enumerated().map { "branch\($0.offset + 1) \($0.element.shape)" }.joined(separator: ", ")
            throw InputError("\(spec.source): \(at).branch\(k + 1) gives \(end.shape) but \(at).branch1 gives \(first): concatenation on channels needs the same height and width (\(all))")
        }
        var offsets: [Int] = [], channels = 0
        for end in ends { offsets.append(channels); channels += end.shape.c }
        let out = first.isFlat ? Shape(flat: channels) : Shape(channels, first.h, first.w)
        _ = try checkedCount(out.dims, "\(spec.source): \(at): output shape")
        nodes.append(.join(PlannedJoin(kind: .concat, name: name, inputs: ends.map(\.node), channelOffsets: offsets, output: out,
                                       params: total - paramsBefore, depth: depth, layerRange: firstLayer..<layers.count)))
        return (nodes.count - 1, out)
    }

    private mutating func planResidual(_ body: [LayerSpec], _ shortcut: [LayerSpec]?, from: Int, shape: Shape, name: String,
                                       at: String, depth: Int) throws -> (Int, Shape) {
        let firstLayer = layers.count, paramsBefore = total
        let main = try plan(body, from: from, shape: shape, scope: name, at: "\(at).body", depth: depth + 1)
        var side = (node: from, shape: shape)
        if let shortcut {
            side = try plan(shortcut, from: from, shape: shape, scope: "\(name).shortcut", at: "\(at).shortcut", depth: depth + 1)
        }
        guard main.shape == side.shape else {
            let what = shortcut == nil ? "the identity shortcut gives the input \(shape)" : "the shortcut gives \(side.shape)"
            throw InputError("\(spec.source): \(at): the body gives \(main.shape) but \(what): a residual adds equal shapes (give it a shortcut, e.g. a 1x1 conv with the body's stride)")
        }
        nodes.append(.join(PlannedJoin(kind: .add, name: name, inputs: [main.node, side.node], channelOffsets: [], output: main.shape,
                                       params: total - paramsBefore, depth: depth, layerRange: firstLayer..<layers.count)))
        return (nodes.count - 1, main.shape)
    }

    /// One layer: its output shape, parameter shapes and initialisers. `at` locates it in messages.
    private mutating func planLayer(_ layer: LayerSpec, from: Int, shape: Shape, name: String, at: String, depth: Int) throws -> Shape {
        let word = layer.kind.word
        func spatial() throws {
            if shape.isFlat { throw InputError("\(at): \(word) needs a [C, H, W] input, got \(shape) (after flatten)") }
        }
        func window(_ k: (Int, Int), _ s: (Int, Int), _ p: (Int, Int), pool: Bool, ceil: Bool = false) throws -> (Int, Int) {
            try spatial()
            for v in [k.0, k.1, s.0, s.1, p.0, p.1] { _ = try checkedCount([v], "\(at): kernel, stride or pad") }
            if pool, p.0 * 2 > k.0 || p.1 * 2 > k.1 {
                throw InputError("\(at): pad \(p.0)x\(p.1) must be at most half the kernel \(k.0)x\(k.1)")
            }
            if k.0 > shape.h + 2 * p.0 || k.1 > shape.w + 2 * p.1 {
                throw InputError("\(at): kernel \(k.0)x\(k.1) is larger than its padded input \(shape.h + 2 * p.0)x\(shape.w + 2 * p.1) (input \(shape), pad \(p.0)x\(p.1))")
            }
            let oh = windowOutputSize(shape.h, kernel: k.0, stride: s.0, pad: p.0, ceil: ceil)
            let ow = windowOutputSize(shape.w, kernel: k.1, stride: s.1, pad: p.1, ceil: ceil)
            guard oh >= 1, ow >= 1 else {
                throw InputError("\(at): output size \(oh)x\(ow) < 1 from input \(shape)")
            }
            return (oh, ow)
        }
        var out = shape
        var weight: [Int]? = nil, bias: [Int]? = nil
        switch layer.kind {
        case let .conv(o, k, s, p, hasBias, groups):
            let (oh, ow) = try window(k, s, p, pool: false)
            guard shape.c % groups == 0, o % groups == 0 else {
                throw InputError("\(at): groups \(groups) must divide the input channels (\(shape.c)) and the output channels (\(o))")
            }
            out = Shape(o, oh, ow)
            weight = [o, shape.c / groups, k.0, k.1]
            bias = hasBias ? [o] : nil
        case let .linear(o, hasBias):
            guard shape.isFlat || (shape.h == 1 && shape.w == 1) else {
                throw InputError("\(at): linear needs a flat input, got \(shape): put flatten before it")
            }
            out = Shape(flat: o)
            weight = [o, shape.count]
            bias = hasBias ? [o] : nil
        case let .maxpool(k, s, p, ceil):
            let (oh, ow) = try window(k, s, p, pool: true, ceil: ceil)
            out = Shape(shape.c, oh, ow)
        case let .avgpool(k, s, p):
            let (oh, ow) = try window(k, s, p, pool: true)
            out = Shape(shape.c, oh, ow)
        case .globalavgpool:
            try spatial()
            out = Shape(shape.c, 1, 1)
        case .flatten:
            out = Shape(flat: shape.count)
        case .batchnorm:
            weight = [shape.c]
            bias = [shape.c]
        case .lrn, .relu, .sigmoid, .tanh, .leakyrelu, .dropout:
            break
        case .branch, .residual:
            preconditionFailure("blocks are planned by plan(_:from:...)")
        }
        _ = try checkedCount(out.dims, "\(at): output shape")
        total += try (weight.map { try checkedCount($0, "\(at): weight") } ?? 0)
            + (bias.map { try checkedCount($0, "\(at): bias") } ?? 0)
        _ = try checkedCount([total], "\(spec.source): parameter count up to \(at)")
        var isLinear = false, convolution: Int?
        if case .linear = layer.kind { isLinear = true }
        if case .conv = layer.kind { convolutionsPlanned += 1; convolution = convolutionsPlanned }
        var inits = spec.initPreset.resolve(convolution: convolution, isLinear: isLinear, hidden: isLinear && layers.count != lastLinear)
        if case .batchnorm = layer.kind { inits = (.constant(1), .zeros) }        // PyTorch: gamma 1, beta 0
        if let o = layer.initOverride {
            if let w = o.weight { inits.weight = w }
            if let b = o.bias { inits.bias = b }
        }
        layers.append(PlannedLayer(index: layers.count, name: name, spec: layer, input: shape, output: out,
                                   weightShape: weight, biasShape: bias, weightInit: inits.weight, biasInit: inits.bias,
                                   source: from, node: nodes.count, depth: depth))
        nodes.append(.layer(layers.count - 1))
        return out
    }
}
