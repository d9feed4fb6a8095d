// Bad model specs: every mistake is an InputError whose one-line message names the file, the
// layer index (and name) or the key, and what was expected. Shape errors come from NetworkPlan,
// the rest from ModelSpec parsing.

import Core
import Foundation
import TestSupport
import XCTest
import NN

final class SpecErrorTests: XCTestCase {
    private let file = "specs/bad.yaml"

    private func plan(_ yaml: String) throws {
        _ = try NetworkPlan(ModelSpec.parse(yaml: yaml, file: file))
    }

    private func spec(input: String = "[1, 8, 8]", _ layers: String) -> String {
        "input: \(input)\nlayers:\n" + layers.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
    }

    // MARK: shapes (NetworkPlan)

    func testKernelLargerThanInput() {
        assertInputError([file, "layers[1] (conv1)", "kernel 9x9", "larger", "8x8"]) {
            try plan(spec("- relu\n- conv: {out: 4, kernel: 9}"))
        }
        assertInputError([file, "layers[0] (maxpool1)", "kernel 3x3"]) {
            try plan(spec(input: "[1, 2, 8]", "- maxpool: {kernel: 3}"))
        }
    }

    /// With floor((n + 2p - f) / s) + 1 an output below 1 means the window no longer fits: shrinking
    /// 8 -> 4 -> 2 -> 1 and pooling once more fails at the fourth pool, named by index and name.
    func testOutputSizeBelowOne() {
        assertInputError([file, "layers[3] (maxpool4)", "kernel 2x2", "1x1"]) {
            try plan(spec("- maxpool: {kernel: 2}\n- maxpool: {kernel: 2}\n- maxpool: {kernel: 2}\n- maxpool: {kernel: 2}"))
        }
        assertInputError([file, "layers[1] (conv2)", "larger"]) {
            try plan(spec("- conv: {out: 2, kernel: 5, stride: 3}\n- conv: {out: 2, kernel: [1, 3]}"))
        }
    }

    func testConvAfterFlatten() {
        assertInputError([file, "layers[2] (conv1)", "after flatten", "[-1, 64]"]) {
            try plan(spec("- flatten\n- relu\n- conv: {out: 4, kernel: 1}"))
        }
        assertInputError([file, "layers[1] (maxpool1)", "after flatten"]) {
            try plan(spec("- flatten\n- maxpool: {kernel: 1}"))
        }
    }

    func testLinearWithoutFlatten() {
        assertInputError([file, "layers[1] (fc1)", "flat input", "[-1, 4, 8, 8]", "flatten"]) {
            try plan(spec("- conv: {out: 4, kernel: 3, pad: 1}\n- linear: {out: 10}"))
        }
        // a 1x1 spatial map is already flat enough (PyTorch would need a view; dtrain allows it)
        XCTAssertNoThrow(try plan(spec("- conv: {out: 4, kernel: 8}\n- linear: {out: 10}")))
    }

    func testDuplicateNames() {
        assertInputError([file, "layers[2] (a)", "'a'", "twice"]) {
            try plan(spec("- conv: {name: a, out: 2, kernel: 3}\n- relu\n- conv: {name: a, out: 2, kernel: 3}"))
        }
        // an explicit name that a later default would take is also a clash
        assertInputError([file, "layers[1] (conv2)", "twice"]) {
            try plan(spec("- conv: {name: conv2, out: 2, kernel: 3}\n- conv: {out: 2, kernel: 3}"))
        }
    }

    func testPoolPaddingAtMostHalfTheKernel() {
        assertInputError([file, "layers[0] (maxpool1)", "pad 2x2", "half"]) {
            try plan(spec("- maxpool: {kernel: 3, pad: 2}"))
        }
    }

    /// conv.groups must divide the input and the output channels; the message names the file,
    /// the layer (index and name) and both channel counts. Also from a file on disk.
    func testGroupsMustDivideChannels() throws {
        assertInputError([file, "layers[2] (conv2)", "groups 4", "input channels (6)", "output channels (8)"]) {
            try plan(spec("- conv: {out: 6, kernel: 3}\n- relu\n- conv: {out: 8, kernel: 3, groups: 4}"))
        }
        assertInputError([file, "layers[0] (conv1)", "groups 2", "input channels (4)", "output channels (3)"]) {
            try plan(spec(input: "[4, 8, 8]", "- conv: {out: 3, kernel: 1, groups: 2}"))
        }
        assertInputError([file, "layers[0].conv.groups", "positive"]) {
            try plan(spec("- conv: {out: 2, kernel: 3, groups: 0}"))
        }
        assertInputError([file, "layers[0].maxpool.ceil", "true or false"]) {
            try plan(spec("- maxpool: {kernel: 2, ceil: 2}"))
        }
        assertInputError([file, "layers[0].avgpool.ceil", "unknown key 'ceil'"]) {
            try plan(spec("- avgpool: {kernel: 2, ceil: true}"))
        }
        assertInputError([file, "layers[1] (globalavgpool1)", "after flatten"]) {
            try plan(spec("- flatten\n- globalavgpool"))
        }
        assertInputError([file, "layers[0].globalavgpool.size", "unknown key 'size'"]) {
            try plan(spec("- globalavgpool: {size: 1}"))
        }
        XCTAssertNoThrow(try plan(spec(input: "[4, 8, 8]", "- conv: {out: 6, kernel: 3, groups: 2}\n- maxpool: {kernel: 2, ceil: true}")))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-groups-\(getpid()).yaml")
        try "input: [3, 8, 8]\nlayers:\n  - conv: {out: 6, kernel: 3, groups: 2}\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        assertInputError([url.path, "layers[0] (conv1)", "groups 2", "(3)", "(6)"]) {
            _ = try NetworkPlan(ModelSpec.load(path: url.path))
        }
    }

    // MARK: parsing (ModelSpec)

    func testUnknownKind() {
        assertInputError([file, "layers[1]", "unknown layer kind 'convolution'", "conv"]) {
            try plan(spec("- relu\n- convolution: {out: 4, kernel: 3}"))
        }
        assertInputError([file, "layers[0]", "unknown layer kind 'softmax'"]) {
            try plan(spec("- softmax"))
        }
    }

    func testUnknownKey() {
        assertInputError([file, "layers[0].conv.strides", "unknown key 'strides'", "stride"]) {
            try plan(spec("- conv: {out: 4, kernel: 3, strides: 2}"))
        }
        assertInputError([file, "layers[2].dropout.rate", "unknown key 'rate'"]) {
            try plan(spec("- flatten\n- linear: {out: 4}\n- dropout: {rate: 0.5}"))
        }
        assertInputError([file, "layer", "unknown key 'layer'"]) {
            try plan("input: [1, 8, 8]\nlayer:\n  - relu\n")
        }
        assertInputError([file, "layers[0].conv.init.weights", "unknown key 'weights'"]) {
            try plan(spec("- conv: {out: 4, kernel: 3, init: {weights: zeros}}"))
        }
    }

    func testBadInitialiserWord() {
        assertInputError([file, "layers[3].linear.init.weight", "unknown initialiser 'gaussian'", "he_normal"]) {
            try plan(spec("- conv: {out: 2, kernel: 3}\n- relu\n- flatten\n- linear: {out: 3, init: {weight: gaussian}}"))
        }
        assertInputError([file, "init", "unknown init preset 'glorot'"]) {
            try plan("input: [1, 8, 8]\ninit: glorot\nlayers:\n  - relu\n")
        }
        assertInputError([file, "layers[0].conv.init.bias.normal", "standard deviation", "'-1'"]) {
            try plan(spec("- conv: {out: 2, kernel: 3, init: {bias: {normal: -1}}}"))
        }
        assertInputError([file, "layers[0].conv.init.weight.uniform"]) {
            try plan(spec("- conv: {out: 2, kernel: 3, init: {weight: {uniform: [1, -1]}}}"))
        }
    }

    func testWrongType() {
        assertInputError([file, "layers[0].conv.out", "an integer", "'six'"]) {
            try plan(spec("- conv: {out: \"six\", kernel: 3}"))
        }
        assertInputError([file, "layers[0].conv.out", "positive"]) {
            try plan(spec("- conv: {out: 0, kernel: 3}"))
        }
        assertInputError([file, "layers[0].conv.kernel", "two integers"]) {
            try plan(spec("- conv: {out: 2, kernel: [3, 3, 3]}"))
        }
        assertInputError([file, "layers[2].linear.bias", "true or false", "'maybe'"]) {
            try plan(spec("- flatten\n- relu\n- linear: {out: 2, bias: maybe}"))
        }
        assertInputError([file, "layers[0].maxpool.stride", "positive"]) {
            try plan(spec("- maxpool: {kernel: 2, stride: 0}"))
        }
        assertInputError([file, "layers[1].dropout.p", "[0, 1)"]) {
            try plan(spec("- flatten\n- dropout: {p: 1}"))
        }
        assertInputError([file, "input", "[C, H, W]"]) {
            try plan(spec(input: "[28, 28]", "- relu"))
        }
        assertInputError([file, "input", "missing"]) {
            try plan("layers:\n  - relu\n")
        }
        assertInputError([file, "layers[0].conv", "missing"]) {
            try plan(spec("- conv"))
        }
        assertInputError([file, "layers[0].conv.kernel", "missing"]) {
            try plan(spec("- conv: {out: 3}"))
        }
    }

    func testUnreadableOrInvalidFiles() {
        let missing = "/nonexistent/dtrain/model.yaml"
        assertInputError([missing, "cannot read"]) { _ = try ModelSpec.load(path: missing) }
        assertInputError([file, "not valid YAML"]) { try plan("input: [1, 8, 8\nlayers: [relu") }

        // load(path:) names the file it read
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-spec-\(getpid()).yaml")
        try? "input: [1, 8, 8]\nlayers:\n  - relu\n  - pool: {kernel: 2}\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        assertInputError([url.path, "layers[1]", "unknown layer kind 'pool'"]) { _ = try ModelSpec.load(path: url.path) }
    }
}
