// The run config the in-process training tests share: a tiny model on 1x8x8 images (conv 4 ->
// pool -> linear 16 -> linear 10, or the caller's layers), no validation split, no diagnostics,
// output in a fresh folder removed when the test ends; `train` is the train section as a YAML
// flow map, then `overrides` (--set syntax) are applied as the command line would.

import Core
import Foundation
import NN
import Training
import XCTest

enum TinyRunConfig {
    /// The tiny model's layers, as block-list items indented under `layers:`.
    static let layers = """
            - conv: {out: 4, kernel: 3, pad: 1}
            - relu
            - maxpool: {kernel: 2}
            - flatten
            - linear: {out: 16}
            - relu
            - linear: {out: 10}
        """

    static func make(for test: XCTestCase, layers: String = layers, train: String, seed: Int, label: String,
                     overrides: [String]) throws -> RunConfig {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: output) }
        let yaml = """
        model:
          name: tiny
          input: [1, 8, 8]
          layers:
        \(layers)
        data: {validation: 0}
        train: \(train)
        diagnostics: false
        seed: \(seed)
        output: \(output)
        """
        var tree = try ConfigValue.parse(yaml: yaml, file: "\(label) test")
        try RunConfig.applyOverrides(overrides, to: &tree)
        return try RunConfig.parse(tree, file: "\(label) test")
    }
}
