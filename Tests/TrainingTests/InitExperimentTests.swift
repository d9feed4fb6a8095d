// The run config's `init:` initialises every conv and linear layer (ModelSpec.initialiseEveryLayer):
// configs/experiments/init.yaml's variants get exactly what their names say, on the real
// experiment file, with LeNet-5's per-layer fc3 init overridden, also inside blocks.

import Core
import NN
import Training
import XCTest

final class InitExperimentTests: XCTestCase {
    private let experimentPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path + "/configs/experiments/init.yaml"

    /// The built, initialised network of one variant of the shipped init experiment.
    private func network(_ variant: String) throws -> Network {
        let experiment = try Experiment.load(path: experimentPath)
        let v = try XCTUnwrap(experiment.variants.first { $0.name == variant }, variant)
        let net = Network(plan: try NetworkPlan(try experiment.config(for: v).model))
        net.initialize(seed: 42)
        return net
    }

    private func values(_ net: Network, _ tensor: String) throws -> [Float] {
        let t = try XCTUnwrap(net.tensor(named: tensor), tensor)
        return Array(net.parameters[t.offset ..< t.offset + t.count])
    }

    func testZerosVariantZeroesEveryLayerFc3Included() throws {
        let net = try network("zeros")
        for t in net.plan.tensors {
            XCTAssertEqual(Set(try values(net, t.name)), [0], "\(t.name) is not all zeros")
        }
        XCTAssertTrue(net.plan.tensors.contains { $0.name == "fc3.weight" }, "LeNet-5 has fc3")
    }

    func testVariantsApplyTheirInitToFc3() throws {
        let plan = try network("normal-0.01").plan
        let fc3 = try XCTUnwrap(plan.layers.first { $0.name == "fc3" })
        XCTAssertEqual(fc3.weightInit, .normal(mean: 0, std: 0.01))
        XCTAssertEqual(fc3.biasInit, .zeros)
        let minus = try network("bias-minus-10")
        for name in ["conv1.bias", "conv2.bias", "fc1.bias", "fc2.bias", "fc3.bias"] {
            XCTAssertEqual(Set(try values(minus, name)), [-10], name)
        }
        let he = try network("he").plan
        for l in he.layers where l.weightShape != nil {
            XCTAssertEqual(l.weightInit, .heNormal, l.name); XCTAssertEqual(l.biasInit, .zeros, l.name)
        }
        // alexnet on LeNet-5: bias 1 in the 2nd convolution and the hidden linear layers, by position
        let alexnet = try network("alexnet")
        for (name, bias) in [("conv1", Float(0)), ("conv2", 1), ("fc1", 1), ("fc2", 1), ("fc3", 0)] {
            XCTAssertEqual(Set(try values(alexnet, name + ".bias")), [bias], name)
        }
    }

    /// Without a run-config `init:` the spec's own per-layer init still holds (fc3 N(0, 0.01)), and
    /// a run-config `init:` reaches layers inside blocks too.
    func testSpecInitHoldsUnlessTheRunConfigSetsOne() throws {
        let yaml = """
        model:
          name: tiny
          input: [1, 4, 4]
          init: he
          layers:
            - residual:
                body: [{conv: {out: 1, kernel: 3, pad: 1, init: {weight: {constant: 0.5}}}}]
            - flatten
            - {linear: {out: 3, init: {bias: {constant: 2}}}}
        """
        let plain = try RunConfig.parse(try ConfigValue.parse(yaml: yaml, file: "t.yaml"), file: "t.yaml")
        let planned = try NetworkPlan(plain.model).layers.filter { $0.weightShape != nil }
        XCTAssertEqual(planned.map(\.weightInit), [.constant(0.5), .heNormal])
        XCTAssertEqual(planned.map(\.biasInit), [.zeros, .constant(2)])
        let zeroed = try RunConfig.parse(try ConfigValue.parse(yaml: yaml + "\ninit: {weight: zeros, bias: zeros}", file: "t.yaml"), file: "t.yaml")
        for l in try NetworkPlan(zeroed.model).layers where l.weightShape != nil {
            XCTAssertEqual(l.weightInit, .zeros, l.name); XCTAssertEqual(l.biasInit, .zeros, l.name)
        }
    }
}
