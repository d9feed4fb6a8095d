// Bad graph specs: a concatenation of mismatched spatial sizes, a residual whose shapes differ
// without a shortcut, groups that do not divide, unknown templates, missing or unknown template
// parameters, cycles: one InputError naming the file, the block's path and the shapes.

import Core
import Foundation
import TestSupport
import XCTest
import NN

final class GraphSpecErrorTests: XCTestCase {
    private let file = "specs/graph.yaml"

    private func plan(_ yaml: String) throws {
        _ = try NetworkPlan(ModelSpec.parse(yaml: yaml, file: file))
    }

    private let inception = """
        input: [3, 16, 16]
        templates:
          inception:
            params: [c1, c3, pool]
            block:
              branch:
                paths:
                  - [{conv: {out: $c1, kernel: 1}}, relu]
                  - [{conv: {out: $c3, kernel: 3, pad: 1}}, relu]
                  - [{maxpool: {kernel: 3, stride: 1, pad: 1}}, {conv: {out: $pool, kernel: 1}}]
        layers:
        """

    func testConcatOfMismatchedSpatialSizes() {
        assertInputError([file, "layers[1].mix.branch2", "[-1, 4, 16, 16]", "[-1, 4, 14, 14]", "height and width"]) {
            try plan("""
                input: [3, 16, 16]
                layers:
                  - relu
                  - branch:
                      name: mix
                      paths:
                        - [{conv: {out: 4, kernel: 1}}]
                        - [{conv: {out: 4, kernel: 3}}]
                """)
        }
    }

    func testResidualShapesDifferWithoutShortcut() {
        assertInputError([file, "layers[0].res1", "body gives [-1, 8, 8, 8]", "identity", "[-1, 3, 16, 16]"]) {
            try plan("input: [3, 16, 16]\nlayers:\n  - residual: {name: res1, body: [{conv: {out: 8, kernel: 3, stride: 2, pad: 1}}]}\n")
        }
        assertInputError([file, "layers[0].block1", "shortcut gives [-1, 8, 16, 16]"]) {
            try plan("input: [3, 16, 16]\nlayers:\n  - residual: {body: [{conv: {out: 8, kernel: 3, stride: 2, pad: 1}}], shortcut: [{conv: {out: 8, kernel: 1}}]}\n")
        }
    }

    func testGroupsInsideABlockNameTheirPath() {
        assertInputError([file, "layers[0].inception4a.branch2[0] (inception4a.branch2.conv1)", "groups 2", "(3)"]) {
            try plan(inception.replacingOccurrences(of: "{out: $c3, kernel: 3, pad: 1}", with: "{out: $c3, kernel: 3, pad: 1, groups: 2}")
                     + "\n  - inception: {name: inception4a, c1: 4, c3: 4, pool: 2}\n")
        }
    }

    func testTemplateMistakes() {
        assertInputError([file, "layers[0]", "unknown layer kind 'inceptoin'", "templates: inception"]) {
            try plan(inception + "\n  - inceptoin: {c1: 4, c3: 4, pool: 2}\n")
        }
        assertInputError([file, "layers[0]", "template 'inception' needs parameter 'pool'"]) {
            try plan(inception + "\n  - inception: {name: a, c1: 4, c3: 4}\n")
        }
        assertInputError([file, "layers[0]", "template 'inception' has no parameter 'c5'"]) {
            try plan(inception + "\n  - inception: {c1: 4, c3: 4, pool: 2, c5: 1}\n")
        }
        assertInputError([file, "templates.t", "'$k' is not one of its params"]) {
            try plan("input: [1, 4, 4]\ntemplates:\n  t: {params: [c], block: {conv: {out: $k, kernel: 1}}}\nlayers:\n  - t: {c: 2}\n")
        }
        // a bad value substituted into a layer names the use's path
        assertInputError([file, "layers[0].branch.paths[0][0].conv.out", "positive"]) {
            try plan(inception + "\n  - inception: {c1: -4, c3: 4, pool: 2}\n")
        }
    }

    func testCyclicTemplatesFailCleanly() {
        assertInputError([file, "cyclic template use: a -> b -> a"]) {
            try plan("""
                input: [1, 4, 4]
                templates:
                  a: {block: {residual: {body: [b]}}}
                  b: {block: {branch: {paths: [[a], [relu]]}}}
                layers: [a]
                """)
        }
        assertInputError([file, "cyclic template use: self -> self"]) {
            try plan("input: [1, 4, 4]\ntemplates:\n  self: {block: {residual: {body: [relu, self]}}}\nlayers: [self]\n")
        }
    }

    /// Templates that double at each level (2^40 layers) are stopped by the expansion cap, not by
    /// memory.
    func testExponentialTemplatesAreCapped() {
        var yaml = "input: [1, 4, 4]\ntemplates:\n  t0: {block: relu}\n"
        for k in 1...40 { yaml += "  t\(k): {block: {residual: {body: [t\(k - 1), t\(k - 1)]}}}\n" }
        yaml += "layers: [t40]\n"
        assertInputError([file, "more than 100000 layers"]) { try plan(yaml) }
    }

    func testEmptyPathsAndBlocks() {
        assertInputError([file, "layers[0].branch.paths[1]", "non-empty list of layers"]) {
            try plan("input: [1, 4, 4]\nlayers:\n  - branch: {paths: [[relu], []]}\n")
        }
        assertInputError([file, "layers[0].residual.body", "missing"]) {
            try plan("input: [1, 4, 4]\nlayers:\n  - residual: {shortcut: [relu]}\n")
        }
    }
}
