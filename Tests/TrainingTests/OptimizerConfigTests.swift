// The optimisation keys of a run config's train section (RunConfig's header): optimizer, betas,
// eps, the onecycle schedule and its map, label_smoothing, eval_every — read into TrainConfig,
// round-tripped through the resolved YAML a checkpoint keeps, and each bad value an InputError
// naming the key and the values it allows (the CLI's exit 2).

import Core
import NN
import TestSupport
import Training
import XCTest

final class OptimizerConfigTests: XCTestCase {
    private func parse(_ train: String, outputs: Int = 10) throws -> RunConfig {
        let yaml = """
        model:
          name: tiny
          input: [1, 8, 8]
          layers: [flatten, {linear: {out: \(outputs)}}]
        train: \(train)
        """
        return try RunConfig.parse(try ConfigValue.parse(yaml: yaml, file: "opt.yaml"), file: "opt.yaml")
    }

    func testDefaultsArePyTorchs() throws {
        let t = try parse("{}").train
        XCTAssertEqual(t.optimizer, .sgd)
        XCTAssertEqual(t.beta1, 0.9); XCTAssertEqual(t.beta2, 0.999); XCTAssertEqual(t.eps, 1e-8)
        XCTAssertEqual(t.labelSmoothing, 0); XCTAssertEqual(t.evalEvery, 1)
        let o = OneCycle()
        XCTAssertEqual([o.pctStart, o.divFactor, o.finalDivFactor, o.baseMomentum, o.maxMomentum], [0.3, 25, 1e4, 0.85, 0.95])
        XCTAssertFalse(o.cycleMomentum)
        // weight decay: dtrain's SGD default, PyTorch's for Adam (0) and AdamW (0.01), unless given
        XCTAssertEqual(t.weightDecay, 0.0005)
        XCTAssertEqual(try parse("{optimizer: adam}").train.weightDecay, 0)
        XCTAssertEqual(try parse("{optimizer: adamw}").train.weightDecay, 0.01)
        XCTAssertEqual(try parse("{optimizer: adamw, weight_decay: 0.2}").train.weightDecay, 0.2)
    }

    func testEveryKeyIsRead() throws {
        let c = try parse("""
            {optimizer: adamw, betas: [0.8, 0.99], eps: 1e-6, weight_decay: 0.01, label_smoothing: 0.1, eval_every: 0,
                   schedule: {onecycle: {pct_start: 0.2, div_factor: 10, final_div_factor: 100, cycle_momentum: true,
                                         base_momentum: 0.8, max_momentum: 0.9}}}
            """)
        let t = c.train
        XCTAssertEqual(t.optimizer, .adamw)
        XCTAssertEqual(t.beta1, 0.8); XCTAssertEqual(t.beta2, 0.99); XCTAssertEqual(t.eps, 1e-6)
        XCTAssertEqual(t.labelSmoothing, 0.1); XCTAssertEqual(t.evalEvery, 0)
        var o = OneCycle()
        o.pctStart = 0.2; o.divFactor = 10; o.finalDivFactor = 100; o.cycleMomentum = true; o.baseMomentum = 0.8; o.maxMomentum = 0.9
        XCTAssertEqual(t.schedule, .onecycle(o))
        XCTAssertEqual(t.optimizerSettings, OptimizerSettings(kind: .adamw, momentum: 0.9, nesterov: false, weightDecay: 0.01,
                                                              beta1: 0.8, beta2: 0.99, eps: 1e-6))
        XCTAssertEqual(try parse("{schedule: onecycle}").train.schedule, .onecycle(OneCycle()))
        // what a checkpoint keeps reads back to the same train section
        let again = try RunConfig.parse(try ConfigValue.parse(yaml: c.resolvedYAML, file: "saved"), file: "saved")
        XCTAssertEqual(again.train, t)
    }

    func testBadValuesNameTheKeyAndTheAllowedValues() {
        let cases: [(String, [String])] = [
            ("{optimizer: rmsprop}", ["opt.yaml", "train.optimizer", "sgd | adam | adamw", "rmsprop"]),
            ("{schedule: linear}", ["train.schedule", "constant | cosine | onecycle", "linear"]),
            ("{schedule: {cyclic: {}}}", ["train.schedule", "unknown key 'cyclic'", "step, onecycle"]),
            ("{betas: [0.9, 1.0]}", ["train.betas[1]", "a beta in [0, 1)", "'1.0'"]),
            ("{betas: [-0.1, 0.999]}", ["train.betas[0]", "a beta in [0, 1)"]),
            ("{betas: [0.9]}", ["train.betas", "two betas"]),
            ("{betas: 0.9}", ["train.betas", "a list"]),
            ("{eps: -1e-8}", ["train.eps", "> 0"]),
            ("{eps: 0}", ["train.eps", "> 0"]),
            ("{schedule: {onecycle: {pct_start: 1.0}}}", ["train.schedule.onecycle.pct_start", "[0, 1)", "as long as the run or longer"]),
            ("{schedule: {onecycle: {pct_start: -0.1}}}", ["train.schedule.onecycle.pct_start", "[0, 1)"]),
            ("{schedule: {onecycle: {div_factor: 0}}}", ["train.schedule.onecycle.div_factor", "positive"]),
            ("{schedule: {onecycle: {final_div_factor: -2}}}", ["train.schedule.onecycle.final_div_factor", "positive"]),
            ("{schedule: {onecycle: {max_momentum: 1}}}", ["train.schedule.onecycle.max_momentum", "[0, 1)"]),
            ("{schedule: {onecycle: {base_momentum: 0.9, max_momentum: 0.8}}}", ["train.schedule.onecycle.base_momentum", "<= max_momentum"]),
            ("{schedule: {onecycle: {warmup: 3}}}", ["train.schedule.onecycle", "unknown key 'warmup'", "pct_start"]),
            ("{schedule: onecycle, warmup_epochs: 2}", ["train.warmup_epochs", "onecycle", "pct_start"]),
            ("{label_smoothing: 1}", ["train.label_smoothing", "[0, 1)"]),
            ("{label_smoothing: -0.1}", ["train.label_smoothing", "[0, 1)"]),
            ("{eval_every: -1}", ["train.eval_every", ">= 0"]),
        ]
        for (train, parts) in cases {
            assertInputError(parts) { _ = try parse(train) }
        }
        assertInputError(["train.label_smoothing", "1-output"]) { _ = try parse("{label_smoothing: 0.1}", outputs: 1) }
    }
}
