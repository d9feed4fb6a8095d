// data.normalize in the run config: {mean, std} numbers for every channel, lists of one value per
// input channel, `auto` (measured on the training split and written into the resolved config, so
// a checkpoint carries the numbers); each malformed value is an InputError naming its key.

import Core
import Datasets
import NN
import TestSupport
import Training
import XCTest

final class NormalizeConfigTests: XCTestCase {
    private func parse(_ normalize: String, channels: Int = 3) throws -> RunConfig {
        let yaml = """
        model: {name: tiny, input: [\(channels), 4, 4], layers: [flatten, {linear: {out: 10}}]}
        data: {validation: 0, normalize: \(normalize)}
        """
        return try RunConfig.parse(ConfigValue.parse(yaml: yaml, file: "run.yaml"), file: "run.yaml")
    }

    func testNumbersAndLists() throws {
        XCTAssertEqual(try parse("{mean: 0.1307, std: 0.3081}", channels: 1).data.normalize, .mnist)
        XCTAssertEqual(try parse("{mean: 0.5, std: 0.25}").data.normalize, Normalization(mean: [0.5], std: [0.25]),
                       "one value: every channel")
        let rgb = try parse("{mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616]}").data
        XCTAssertEqual(rgb.normalize, Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616]))
        XCTAssertFalse(rgb.normalizeAuto)
        XCTAssertEqual(try parse("{mean: [0.5, 0.4, 0.3], std: 0.2}").data.normalize?.std, [0.2])
        XCTAssertNil(try RunConfig.parse(ConfigValue.parse(yaml: "model: {name: t, input: [1, 4, 4], layers: [flatten, {linear: {out: 10}}]}",
                                                           file: "run.yaml"), file: "run.yaml").data.normalize)
    }

    func testMalformedValuesNameTheKey() throws {
        assertInputError(["run.yaml", "data.normalize.mean", "C = 3", "found 2"]) { _ = try parse("{mean: [0.5, 0.4], std: [0.2, 0.2, 0.2]}") }
        assertInputError(["data.normalize.std", "C = 3", "found 4"]) { _ = try parse("{mean: 0.5, std: [0.2, 0.2, 0.2, 0.2]}") }
        assertInputError(["data.normalize.std", "found 0"]) { _ = try parse("{mean: 0.5, std: []}") }
        assertInputError(["data.normalize.std[1]", "positive"]) { _ = try parse("{mean: 0.5, std: [0.2, 0, 0.2]}") }
        assertInputError(["data.normalize.std", "positive"]) { _ = try parse("{mean: 0.5, std: -1}") }
        assertInputError(["data.normalize", "std"]) { _ = try parse("{mean: 0.5}") }
        assertInputError(["data.normalize.mean[1]", "a number"]) { _ = try parse("{mean: [0.5, x, 0.5], std: 1}") }
        assertInputError(["data.normalize", "auto or {mean"]) { _ = try parse("sometimes") }
        assertInputError(["data.normalize.median", "unknown key"]) { _ = try parse("{mean: 0.5, std: 1, median: 2}") }
    }

    /// auto: nothing until the training split is measured; then the numbers are in the config and
    /// in the resolved YAML, which reads back (as from a checkpoint) to the same numbers.
    func testAutoIsMeasuredAndWrittenIntoTheResolvedConfig() throws {
        var config = try parse("auto")
        XCTAssertTrue(config.data.normalizeAuto)
        XCTAssertNil(config.data.normalize)
        let pixels: [UInt8] = (0 ..< 2 * 48).map { (k: Int) -> UInt8 in UInt8((k * 53 + k / 16 * 40) % 256) }
        let train = ImageSet(channels: 3, height: 4, width: 4, pixels: pixels, labels: [0, 1], classes: 10)
        try config.resolveNormalization(train: train)
        let measured = try Normalization.measured(from: train, key: "k")
        XCTAssertEqual(config.data.normalize, measured)
        XCTAssertFalse(config.data.normalizeAuto)
        XCTAssertEqual(measured.mean.count, 3)
        let saved = try RunConfig.parse(ConfigValue.parse(yaml: config.resolvedYAML, file: "saved"), file: "saved")
        XCTAssertEqual(saved.data.normalize, measured, "the saved config carries the exact numbers")
        XCTAssertFalse(saved.data.normalizeAuto)

        var fixed = try parse("{mean: 0.5, std: 0.25}")
        try fixed.resolveNormalization(train: train)
        XCTAssertEqual(fixed.data.normalize, Normalization(mean: 0.5, std: 0.25), "numbers are left alone")

        var flat = try parse("auto", channels: 1)
        let constant = ImageSet(channels: 1, height: 4, width: 4, pixels: [UInt8](repeating: 3, count: 32), labels: [0, 1], classes: 10)
        assertInputError(["run.yaml: data.normalize", "constant"]) { try flat.resolveNormalization(train: constant) }
    }
}
