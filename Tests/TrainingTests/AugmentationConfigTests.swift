// data.augment in the run config: every key read into an Augmentation, `stroke: s` meaning
// [-s, s], absent or null meaning none; each malformed value is an InputError naming its key.

import Core
import Datasets
import NN
import TestSupport
import Training
import XCTest

final class AugmentationConfigTests: XCTestCase {
    private func parse(_ augment: String?) throws -> RunConfig {
        let yaml = """
        model: {name: tiny, input: [1, 8, 8], layers: [flatten, {linear: {out: 10}}]}
        data: {validation: 0\(augment.map { ", augment: \($0)" } ?? "")}
        """
        return try RunConfig.parse(ConfigValue.parse(yaml: yaml, file: "run.yaml"), file: "run.yaml")
    }

    func testEveryKeyIsRead() throws {
        let c = try parse("{shift: 2.5, rotate: 8, scale: [0.9, 1.1], shear: 10, stroke: [0, 1.5], crop: {pad: 4}, flip: true, break: 0.2}")
        XCTAssertEqual(c.data.augment, Augmentation(shift: 2.5, rotate: 8, scale: 0.9...1.1, shear: 10, stroke: 0...1.5,
                                                    cropPad: 4, flip: true, strokeBreak: 0.2))
        XCTAssertEqual(try parse("{stroke: 1}").data.augment?.stroke, -1...1, "a single stroke amount is symmetric")
        XCTAssertEqual(try parse("{}").data.augment, Augmentation(), "an empty map: present, changing nothing")
        XCTAssertTrue(try parse("{}").data.augment?.isIdentity == true)
        XCTAssertNil(try parse(nil).data.augment, "absent: no augmentation")
        XCTAssertNil(try parse("null").data.augment, "null: no augmentation")
    }

    /// --set reaches it, and the resolved YAML (what a checkpoint keeps) reads back to the same.
    func testOverrideAndRoundTrip() throws {
        var tree = try ConfigValue.parse(yaml: "model: {name: tiny, input: [1, 8, 8], layers: [flatten, {linear: {out: 10}}]}",
                                         file: "run.yaml")
        try RunConfig.applyOverrides(["data.augment={rotate: 8, scale: [0.95, 1.05]}", "data.augment.flip=true"], to: &tree)
        let c = try RunConfig.parse(tree, file: "run.yaml")
        XCTAssertEqual(c.data.augment, Augmentation(rotate: 8, scale: 0.95...1.05, flip: true))
        let again = try RunConfig.parse(ConfigValue.parse(yaml: c.resolvedYAML, file: "saved"), file: "saved")
        XCTAssertEqual(again.data.augment, c.data.augment)
    }

    func testBadValuesNameTheirKey() {
        let cases: [(String, [String])] = [
            ("{wobble: 1}", ["data.augment.wobble", "unknown key", "shift, rotate, scale"]),
            ("{shift: -1}", ["data.augment.shift", "from 0"]),
            ("{shift: x}", ["data.augment.shift", "a number"]),
            ("{rotate: 181}", ["data.augment.rotate", "0 to 180"]),
            ("{rotate: -8}", ["data.augment.rotate"]),
            ("{scale: [1.2, 0.8]}", ["data.augment.scale[1]", "at least lo (1.2)"]),
            ("{scale: [0, 1]}", ["data.augment.scale[0]", "above 0"]),
            ("{scale: [-1, 1]}", ["data.augment.scale[0]"]),
            ("{scale: 1.1}", ["data.augment.scale", "a list"]),
            ("{scale: [0.9, 1, 1.1]}", ["data.augment.scale", "[lo, hi]"]),
            ("{scale: [0.5, 11]}", ["data.augment.scale[1]", "at most 10"]),
            ("{shear: 90}", ["data.augment.shear", "0 to 60"]),
            ("{shear: -5}", ["data.augment.shear"]),
            ("{stroke: -1}", ["data.augment.stroke", "or [lo, hi]"]),
            ("{stroke: 9}", ["data.augment.stroke"]),
            ("{stroke: [1, -1]}", ["data.augment.stroke[1]", "at least lo"]),
            ("{stroke: [-9, 1]}", ["data.augment.stroke[0]", "from -8.0"]),
            ("{crop: 4}", ["data.augment.crop", "a map of keys: pad"]),
            ("{crop: {}}", ["data.augment.crop.pad", "missing"]),
            ("{crop: {pad: -2}}", ["data.augment.crop.pad", ">= 0"]),
            ("{crop: {pad: 2000}}", ["data.augment.crop.pad", "0 to 1024"]),
            ("{crop: {pad: 2, size: 3}}", ["data.augment.crop.size", "unknown key"]),
            ("{flip: maybe}", ["data.augment.flip", "true or false"]),
            ("{break: 1.5}", ["data.augment.break", "probability from 0 to 1"]),
            ("{break: -0.1}", ["data.augment.break"]),
            ("[1, 2]", ["data.augment", "a map of keys"]),
        ]
        for (augment, parts) in cases {
            assertInputError(["run.yaml"] + parts) { _ = try self.parse(augment) }
        }
    }
}
