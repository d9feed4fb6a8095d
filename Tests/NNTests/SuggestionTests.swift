// "Did you mean": the edit distance by hand, the closeness rule (one suggestion, only when close),
// and the suggestion inside the spec parser's unknown-key and unknown-layer-kind messages; a run
// config or a checkpoint given where a model spec is expected is named as such.

import Core
import Foundation
import TestSupport
import XCTest
import NN

final class SuggestionTests: XCTestCase {
    func testEditDistanceByHand() {
        func d(_ a: String, _ b: String) -> Int { editDistance(Array(a), Array(b)) }
        XCTAssertEqual(d("", "abc"), 3)
        XCTAssertEqual(d("lr", "lr"), 0)
        XCTAssertEqual(d("lrr", "lr"), 1)               // one deletion
        XCTAssertEqual(d("trian", "train"), 1)          // one swap of neighbours
        XCTAssertEqual(d("kitten", "sitting"), 3)       // k->s, e->i, +g
        XCTAssertEqual(d("optimiser", "optimizer"), 1)
        XCTAssertEqual(d("ca", "abc"), 3)               // optimal string alignment: no edit of a swapped pair
    }

    func testOneSuggestionOnlyWhenClose() {
        XCTAssertEqual(closestMatch(to: "lrr", among: ["epochs", "lr", "momentum"]), "lr")
        XCTAssertEqual(closestMatch(to: "epoch", among: ["epochs", "lr"]), "epochs")
        XCTAssertEqual(closestMatch(to: "batchsize", among: ["batch_size", "eval_batch"]), "batch_size")
        XCTAssertEqual(closestMatch(to: "Seed", among: ["seed", "output"]), "seed")      // case only
        XCTAssertNil(closestMatch(to: "zz", among: ["lr", "eps"]))                      // 2 edits in 2 letters: the whole word
        XCTAssertNil(closestMatch(to: "colour", among: ["epochs", "lr", "momentum"]))    // nothing close
        XCTAssertNil(closestMatch(to: "lr", among: ["lr"]))                               // an exact match is no suggestion
        XCTAssertNil(closestMatch(to: "spee", among: ["seed"]))                           // 2 edits in a 4-letter word: too far
        XCTAssertEqual(closestMatch(to: "momntm", among: ["momentum"]), "momentum")       // 2 edits in a longer word
        XCTAssertEqual(closestMatch(to: "ab", among: ["abc", "abd"]), "abc")              // a tie: the first listed
        XCTAssertEqual(didYouMean("nesterv", among: ["nesterov"]), " (did you mean 'nesterov'?)")
        XCTAssertEqual(didYouMean("xyz", among: ["nesterov"]), "")
    }

    func testUnknownSpecKeyAndLayerKindSuggest() {
        assertInputError(["s.yaml", "unknown key 'layer'", "did you mean 'layers'?"]) {
            _ = try ModelSpec.parse(yaml: "input: [1, 8, 8]\nlayer:\n  - relu\n", file: "s.yaml")
        }
        assertInputError(["s.yaml", "layers[0].conv.kernal", "did you mean 'kernel'?"]) {
            _ = try ModelSpec.parse(yaml: "input: [1, 8, 8]\nlayers:\n  - conv: {out: 2, kernal: 3}\n", file: "s.yaml")
        }
        assertInputError(["s.yaml", "unknown layer kind 'cnov'", "did you mean 'conv'?"]) {
            _ = try ModelSpec.parse(yaml: "input: [1, 8, 8]\nlayers:\n  - cnov: {out: 2, kernel: 3}\n", file: "s.yaml")
        }
        do {
            _ = try ModelSpec.parse(yaml: "input: [1, 8, 8]\nlayers:\n  - conv: {out: 2, kernel: 3, wibble: 1}\n", file: "s.yaml")
            XCTFail("an unknown key was accepted")
        } catch let error as InputError {
            XCTAssertFalse(error.message.contains("did you mean"), "nothing is close to 'wibble': \(error.message)")
        } catch { XCTFail("\(error)") }
    }

    func testModelSpecLoadNamesARunConfigAndACheckpoint() throws {
        let folder = NSTemporaryDirectory() + "dtrain-suggest-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = folder + "/run.yaml"
        try "model: models/lenet5.yaml\ntrain: {epochs: 1}\n".write(toFile: config, atomically: true, encoding: .utf8)
        assertInputError([config, "is a run config", "not a model spec"]) { _ = try ModelSpec.load(path: config) }

        // the smallest safetensors file: header length 2, header "{}" (then nothing)
        let checkpoint = folder + "/c.safetensors"
        try Data([2, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)).write(to: URL(fileURLWithPath: checkpoint))
        assertInputError([checkpoint, "is a safetensors checkpoint", "expected a model spec"]) { _ = try ModelSpec.load(path: checkpoint) }
        XCTAssertTrue(FileSniff.isSafeTensors(try Data(contentsOf: URL(fileURLWithPath: checkpoint))))
        XCTAssertFalse(FileSniff.isSafeTensors(Array("model: x\nlayers: []\n".utf8)))
        XCTAssertFalse(FileSniff.isSafeTensors([200, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)), "a length past the end")
        XCTAssertFalse(FileSniff.isSafeTensors([2, 0, 0, 0, 0, 0, 0, 0] + Array("[]".utf8)), "a header must start with {")
    }
}
