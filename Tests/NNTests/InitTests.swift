// Initialisers and presets: sample statistics of every distribution, the alexnet preset's
// exact biases, per-layer overrides, and determinism (same seed -> same weights).

import Core
import XCTest
import NN

final class InitTests: XCTestCase {
    private func sample(_ initializer: Initializer, count: Int = 200_000, fanIn: Int = 50, fanOut: Int = 30,
                        seed: UInt64 = 1) -> [Float] {
        let b = FloatBuffer(count: count)
        var rng = SplitMix64(seed: seed)
        initializer.fill(b.pointer, count: count, fanIn: fanIn, fanOut: fanOut, rng: &rng)
        return b.toArray()
    }

    /// Checks mean and standard deviation; std of 200k samples is good to well under 1%.
    private func assertMoments(_ v: [Float], mean m: Double, std s: Double, _ what: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(mean(v), m, accuracy: 0.02 * s + 1e-12, "\(what) mean", file: file, line: line)
        XCTAssertEqual(standardDeviation(v), s, accuracy: 0.01 * s, "\(what) std", file: file, line: line)
    }

    func testNormal() {
        assertMoments(sample(.normal(mean: 0, std: 0.01)), mean: 0, std: 0.01, "N(0, 0.01)")
        assertMoments(sample(.normal(mean: 3, std: 0.5)), mean: 3, std: 0.5, "N(3, 0.5)")
    }

    func testUniform() {
        let v = sample(.uniform(-0.2, 0.6))
        assertMoments(v, mean: 0.2, std: 0.8 / 12.0.squareRoot(), "U(-0.2, 0.6)")
        XCTAssertGreaterThanOrEqual(v.min()!, -0.2)
        XCTAssertLessThanOrEqual(v.max()!, 0.6)
    }

    func testConstantAndZeros() {
        XCTAssertEqual(Set(sample(.constant(1), count: 100)), [1])
        XCTAssertEqual(Set(sample(.zeros, count: 100)), [0])
    }

    func testHeAndXavier() {
        let fanIn = 50, fanOut = 30
        assertMoments(sample(.heNormal), mean: 0, std: (2.0 / Double(fanIn)).squareRoot(), "he_normal")
        let heBound = (6.0 / Double(fanIn)).squareRoot()
        let he = sample(.heUniform)
        assertMoments(he, mean: 0, std: heBound / 3.0.squareRoot(), "he_uniform")
        XCTAssertLessThanOrEqual(he.map { abs($0) }.max()!, Float(heBound))
        let xavierBound = (6.0 / Double(fanIn + fanOut)).squareRoot()
        let xu = sample(.xavierUniform)
        assertMoments(xu, mean: 0, std: xavierBound / 3.0.squareRoot(), "xavier_uniform")
        XCTAssertLessThanOrEqual(xu.map { abs($0) }.max()!, Float(xavierBound))
        XCTAssertGreaterThan(xu.map { abs($0) }.max()!, Float(0.99 * xavierBound))
        assertMoments(sample(.xavierNormal), mean: 0, std: (2.0 / Double(fanIn + fanOut)).squareRoot(), "xavier_normal")
    }

    func testPyTorchBound() {
        let v = sample(.pytorch, fanIn: 400)
        let bound: Float = 1 / 20
        XCTAssertLessThanOrEqual(v.map { abs($0) }.max()!, bound)
        XCTAssertGreaterThan(v.map { abs($0) }.max()!, 0.99 * bound)
        assertMoments(v, mean: 0, std: Double(bound) / 3.0.squareRoot(), "pytorch")
    }

    // MARK: presets

    func testAlexNetPresetResolution() throws {
        let plan = try loadPlan("alexnet")
        let ones = ["conv2", "conv4", "conv5", "fc1", "fc2"], zeros = ["conv1", "conv3", "fc3"]
        for l in plan.layers where l.weightShape != nil {
            XCTAssertEqual(l.weightInit, .normal(mean: 0, std: 0.01), l.name)
            if ones.contains(l.name) { XCTAssertEqual(l.biasInit, .constant(1), l.name) }
            else if zeros.contains(l.name) { XCTAssertEqual(l.biasInit, .constant(0), l.name) }
            else { XCTFail("unexpected parameterised layer \(l.name)") }
        }
    }

    /// The alexnet preset numbers convolutions by position: renamed layers (here conv "c1".."c5",
    /// linear "h1", "h2", "out") get bias 1 in the 2nd, 4th and 5th convolutions and the hidden
    /// linear layers, exactly as alexnet.yaml's default names do; a name "conv2" on the 1st
    /// convolution does not earn it bias 1.
    func testAlexNetPresetFindsLayersByPosition() throws {
        let plan = try NetworkPlan(ModelSpec.parse(yaml: """
            input: [1, 16, 16]
            init: alexnet
            layers:
              - conv: {name: conv2, out: 2, kernel: 3, pad: 1}
              - relu
              - conv: {name: c2, out: 2, kernel: 3, pad: 1}
              - conv: {name: c3, out: 2, kernel: 3, pad: 1}
              - conv: {name: c4, out: 2, kernel: 3, pad: 1}
              - conv: {name: c5, out: 2, kernel: 3, pad: 1}
              - flatten
              - linear: {name: h1, out: 8}
              - linear: {name: h2, out: 8}
              - linear: {name: out, out: 3}
            """))
        let bias = Dictionary(uniqueKeysWithValues: plan.layers.filter { $0.weightShape != nil }.map { ($0.name, $0.biasInit) })
        XCTAssertEqual(bias, ["conv2": .constant(0), "c2": .constant(1), "c3": .constant(0), "c4": .constant(1),
                              "c5": .constant(1), "h1": .constant(1), "h2": .constant(1), "out": .constant(0)])
        // LeNet-5 (two convolutions) under the preset: the 2nd convolution and fc1, fc2 get bias 1
        var lenet = try loadPlan("lenet5").spec
        lenet.initialiseEveryLayer(with: .alexnet)
        let lenetBias = Dictionary(uniqueKeysWithValues: try NetworkPlan(lenet).layers.filter { $0.weightShape != nil }.map { ($0.name, $0.biasInit) })
        XCTAssertEqual(lenetBias, ["conv1": .constant(0), "conv2": .constant(1), "fc1": .constant(1), "fc2": .constant(1),
                                   "fc3": .constant(0)])
    }

    /// Where positions are not a plain sequence (blocks) or go past AlexNet's five convolutions,
    /// the preset is refused with a message naming the file and the reason.
    func testAlexNetPresetRefusesSpecsItCannotNumber() throws {
        let branched = """
            input: [1, 8, 8]
            init: alexnet
            layers:
              - branch:
                  paths:
                    - [{conv: {out: 2, kernel: 1}}]
                    - [{conv: {out: 2, kernel: 1}}]
              - flatten
              - linear: {out: 3}
            """
        XCTAssertThrowsError(try NetworkPlan(ModelSpec.parse(yaml: branched, file: "branched.yaml"))) { error in
            let message = (error as? InputError)?.message ?? ""
            XCTAssertTrue(message.hasPrefix("branched.yaml: init alexnet:"), message)
            XCTAssertTrue(message.contains("branch or residual blocks"), message)
        }
        XCTAssertThrowsError(try NetworkPlan(ModelSpec.load(path: modelPath("vgg16")).withInit(.alexnet))) { error in
            let message = (error as? InputError)?.message ?? ""
            XCTAssertTrue(message.contains("init alexnet: the preset numbers at most 5 convolutions"), message)
            XCTAssertTrue(message.contains("this spec has 13"), message)
        }
        // the same specs under another preset are fine
        XCTAssertNoThrow(try NetworkPlan(ModelSpec.parse(yaml: branched.replacingOccurrences(of: "init: alexnet", with: "init: he"))))
    }

    /// The alexnet preset's actual values, on mnist-alexnet's layers (the same layer names at MNIST
    /// size) with the file's per-layer weight scaling removed: the preset alone.
    func testAlexNetPresetValues() throws {
        var spec = try loadPlan("mnist-alexnet").spec
        for i in spec.layers.indices { spec.layers[i].initOverride = nil }
        let net = Network(plan: try NetworkPlan(spec))
        net.initialize(seed: 2012)
        func values(_ name: String) throws -> [Float] {
            let t = try XCTUnwrap(net.tensor(named: name), name)
            return Array(net.parameters[t.offset ..< t.offset + t.count])
        }
        for name in ["conv2", "conv4", "conv5", "fc1", "fc2"] {
            XCTAssertEqual(Set(try values("\(name).bias")), [1], name)
        }
        for name in ["conv1", "conv3", "fc3"] {
            XCTAssertEqual(Set(try values("\(name).bias")), [0], name)
        }
        for name in ["conv2", "conv3", "conv4", "conv5", "fc1", "fc2"] {
            let w = try values("\(name).weight")
            XCTAssertEqual(mean(w), 0, accuracy: 0.001, name)
            XCTAssertEqual(standardDeviation(w), 0.01, accuracy: 0.0005, name)
        }
    }

    /// mnist-alexnet as shipped: the preset's biases, weights N(0, std) with the per-layer std the
    /// file sets to keep AlexNet's signal gain at MNIST fan-ins.
    func testMNISTAlexNetScaledWeights() throws {
        let net = Network(plan: try loadPlan("mnist-alexnet"))
        net.initialize(seed: 2012)
        let expected = ["conv2": 0.02, "conv3": 0.02, "conv4": 0.02, "conv5": 0.02, "fc1": 0.06, "fc2": 0.028]
        for (name, std) in expected {
            let t = try XCTUnwrap(net.tensor(named: "\(name).weight"), name)
            let w = Array(net.parameters[t.offset ..< t.offset + t.count])
            XCTAssertEqual(mean(w), 0, accuracy: 0.001, name)
            XCTAssertEqual(standardDeviation(w), std, accuracy: std * 0.05, name)
            let b = try XCTUnwrap(net.tensor(named: "\(name).bias"), name)
            XCTAssertEqual(Set(net.parameters[b.offset ..< b.offset + b.count]), name == "conv3" ? [0] : [1], name)
        }
    }

    func testOtherPresets() throws {
        let base = "input: [1, 8, 8]\ninit: %@\nlayers:\n  - conv: {out: 4, kernel: 3}\n  - flatten\n  - linear: {out: 3}\n"
        func plan(_ preset: String) throws -> NetworkPlan {
            try NetworkPlan(ModelSpec.parse(yaml: base.replacingOccurrences(of: "%@", with: preset)))
        }
        for l in try plan("pytorch").layers where l.weightShape != nil {
            XCTAssertEqual(l.weightInit, .pytorch); XCTAssertEqual(l.biasInit, .pytorch)
        }
        for l in try plan("he").layers where l.weightShape != nil {
            XCTAssertEqual(l.weightInit, .heNormal); XCTAssertEqual(l.biasInit, .zeros)
        }
        for l in try plan("xavier").layers where l.weightShape != nil {
            XCTAssertEqual(l.weightInit, .xavierUniform); XCTAssertEqual(l.biasInit, .zeros)
        }
        for l in try plan("{weight: {normal: 0.05}, bias: {constant: 0.1}}").layers where l.weightShape != nil {
            XCTAssertEqual(l.weightInit, .normal(mean: 0, std: 0.05)); XCTAssertEqual(l.biasInit, .constant(0.1))
        }
        // fans: conv [4, 1, 3, 3] -> fan_in 9, fan_out 36; linear [3, 144] -> 144, 3
        let layers = try plan("he").layers
        XCTAssertEqual(layers[0].fans.fanIn, 9); XCTAssertEqual(layers[0].fans.fanOut, 36)
        XCTAssertEqual(layers[2].fans.fanIn, 144); XCTAssertEqual(layers[2].fans.fanOut, 3)
    }

    /// LeNet-5's fc3 overrides the pytorch preset with N(0, 0.01) weights and zero biases.
    func testPerLayerOverride() throws {
        let plan = try loadPlan("lenet5")
        let fc3 = try XCTUnwrap(plan.layers.first { $0.name == "fc3" })
        XCTAssertEqual(fc3.weightInit, .normal(mean: 0, std: 0.01))
        XCTAssertEqual(fc3.biasInit, .constant(0))
        XCTAssertEqual(plan.layers.first { $0.name == "fc2" }?.weightInit, .pytorch)

        let net = Network(plan: plan)
        net.initialize(seed: 5)
        let w = try XCTUnwrap(net.tensor(named: "fc3.weight")), b = try XCTUnwrap(net.tensor(named: "fc3.bias"))
        let fc3w = Array(net.parameters[w.offset ..< w.offset + w.count])
        XCTAssertEqual(standardDeviation(fc3w), 0.01, accuracy: 0.001)
        XCTAssertEqual(Set(net.parameters[b.offset ..< b.offset + b.count]), [0])
        let fc2 = try XCTUnwrap(net.tensor(named: "fc2.weight"))
        let fc2w = Array(net.parameters[fc2.offset ..< fc2.offset + fc2.count])
        let bound = 1 / Float(120).squareRoot()
        XCTAssertLessThanOrEqual(fc2w.map { abs($0) }.max()!, bound)
        XCTAssertGreaterThan(fc2w.map { abs($0) }.max()!, 0.95 * bound)

        // an override may set only one of the two
        let partial = try NetworkPlan(ModelSpec.parse(yaml: """
            input: [1, 4, 4]
            init: he
            layers:
              - conv: {out: 2, kernel: 3, init: {bias: {constant: 0.5}}}
            """))
        XCTAssertEqual(partial.layers[0].weightInit, .heNormal)
        XCTAssertEqual(partial.layers[0].biasInit, .constant(0.5))
    }

    func testSeedDeterminism() throws {
        let plan = try loadPlan("lenet5")
        let a = Network(plan: plan), b = Network(plan: plan), c = Network(plan: plan)
        a.initialize(seed: 7); b.initialize(seed: 7); c.initialize(seed: 8)
        XCTAssertEqual(Array(a.parameters), Array(b.parameters))
        XCTAssertNotEqual(Array(a.parameters), Array(c.parameters))
        // every weight tensor differs under another seed, not just some
        for t in plan.tensors where !t.isBias {
            XCTAssertNotEqual(Array(a.parameters[t.offset ..< t.offset + t.count]),
                              Array(c.parameters[t.offset ..< t.offset + t.count]), t.name)
        }
        // re-initialising restores the same values
        a.initialize(seed: 8)
        XCTAssertEqual(Array(a.parameters), Array(c.parameters))
    }

    func testFixedArityMixKeysEqualsTheListForm() {
        // dropout masks and augmentation draws use the 3-key form; it must hash as the list does
        for (seed, a, b, c) in [(UInt64(0), UInt64(0), UInt64(0), UInt64(0)), (42, 3, 59_999, 0xD20),
                                (.max, .max, 1, 2), (7, UInt64(bitPattern: -1), 12, 0xA06)] {
            XCTAssertEqual(mixKeys(seed, a, b, c), mixKeys(seed, [a, b, c]))
        }
        XCTAssertNotEqual(mixKeys(1, 2, 3, 4), mixKeys(1, 2, 4, 3))
    }
}

private extension ModelSpec {
    func withInit(_ preset: InitPreset) -> ModelSpec { var s = self; s.initPreset = preset; return s }
}
