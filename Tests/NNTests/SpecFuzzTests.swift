// Fuzzing the model-spec path (issue 4): thousands of seeded mutations of configs/models/lenet5.yaml
// (truncations, byte flips, deleted, duplicated and swapped lines, numbers replaced by extreme
// values) go through ModelSpec.parse + NetworkPlan. Each must either give a plan or throw an
// InputError: never trap, never hang. Before each call the input is written to
// $TMPDIR/dtrain-spec-fuzz-<pid>.yaml, so a crash leaves the exact input behind (the file is
// removed when the test ends without crashing).

import Core
import Foundation
import XCTest
import NN
import TestSupport

final class SpecFuzzTests: XCTestCase {
    /// DTRAIN_FUZZ_SEED / DTRAIN_FUZZ_ITERATIONS explore further; the suite uses the fixed defaults.
    static let iterations = ProcessInfo.processInfo.environment["DTRAIN_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 3000
    static let seed = ProcessInfo.processInfo.environment["DTRAIN_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5bec_f022

    func testMutatedSpecsPlanOrThrowInputError() throws {
        let file = modelPath("lenet5")
        let original = Array(try String(contentsOfFile: file, encoding: .utf8).utf8)
        XCTAssertEqual(try NetworkPlan(ModelSpec.parse(yaml: String(decoding: original, as: UTF8.self), file: file))
                           .parameterCount, 61_706, "the unmutated spec must plan")
        let current = NSTemporaryDirectory() + "dtrain-spec-fuzz-\(getpid()).yaml"
        // rewritten in place (pwrite + ftruncate): truncating and rewriting a file 3000 times makes
        // ext4 flush on every close (auto_da_alloc), which costs seconds
        let fd = open(current, O_WRONLY | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0, "cannot write \(current)")
        defer { close(fd) }
        addTeardownBlock { try? FileManager.default.removeItem(atPath: current) }   // a crash skips this: the input stays
        var rng = SplitMix64(seed: Self.seed)
        var planned = 0, refused = 0, kinds: [String: Int] = [:]
        let start = Date()
        for iteration in 0..<Self.iterations {
            let (bytes, how) = YAMLMutator.mutate(original, &rng)
            for kind in how.split(separator: "+") { kinds[String(kind), default: 0] += 1 }
            let text = String(decoding: bytes, as: UTF8.self)
            XCTAssertEqual(bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }, bytes.count)
            XCTAssertEqual(ftruncate(fd, off_t(bytes.count)), 0)
            do {
                let plan = try NetworkPlan(ModelSpec.parse(yaml: text, file: file))
                // a plan that was made is usable: shapes and counts are positive
                XCTAssertFalse(plan.layers.isEmpty)
                XCTAssertGreaterThanOrEqual(plan.parameterCount, 0)
                XCTAssertTrue(plan.layers.allSatisfy { $0.output.count > 0 }, "iteration \(iteration): empty output shape")
                planned += 1
            } catch let error as InputError {
                XCTAssertFalse(error.message.isEmpty)
                XCTAssertFalse(error.message.contains("\n"), "iteration \(iteration): message is not one line: \(error.message)")
                refused += 1
            } catch {
                XCTFail("iteration \(iteration) (\(how)): not an InputError: \(error)\n--- input ---\n\(text)")
            }
            if Date().timeIntervalSince(start) >= 60 {
                XCTFail("hang guard: \(iteration + 1) mutations took over 60 s")
                break
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print("spec fuzz (seed \(Self.seed)): \(Self.iterations) mutations in \(String(format: "%.2f", seconds)) s: \(planned) planned, \(refused) refused; mutations applied: \(kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        XCTAssertGreaterThan(planned, 50, "too few mutations survived: the fuzz does not reach NetworkPlan")
        XCTAssertGreaterThan(refused, 500, "too few mutations were refused")
    }

    /// Sizes whose products or sums overflow Int used to pass ModelSpec and trap later (in
    /// NetworkPlan, parameterCount or the summary): `dtrain summary` died with SIGILL. Each is now an
    /// InputError naming the file and the layer.
    func testOverflowingSizesAreInputErrors() throws {
        let text = try String(contentsOfFile: modelPath("lenet5"), encoding: .utf8)
        let cases: [(String, String, [String])] = [
            ("out: 10,", "out: 9223372036854775807,", ["layers[11] (fc3)", "too large"]),
            ("out: 120}", "out: 4611686018427387904}", ["layers[7] (fc1)", "too large"]),
            ("pad: 2}", "pad: 4611686018427387904}", ["layers[0] (conv1)", "too large"]),
            ("kernel: 5, pad", "kernel: 9223372036854775807, pad", ["layers[0] (conv1)", "too large"]),
            ("out: 6,", "out: 3037000500,", ["layers[0] (conv1)", "too large"]),
            ("input: [1, 28, 28]", "input: [1, 9223372036854775807, 28]", ["input", "too large"]),
            ("input: [1, 28, 28]", "input: [3037000500, 3037000500, 1]", ["input", "too large"]),
            ("maxpool: {kernel: 2}", "maxpool: {kernel: 2, stride: 9223372036854775807}", ["layers[2] (maxpool1)", "too large"]),
        ]
        for (from, to, fragments) in cases {
            XCTAssertTrue(text.contains(from), from)
            let mutated = text.replacingOccurrences(of: from, with: to)
            do {
                let plan = try NetworkPlan(ModelSpec.parse(yaml: mutated, file: "big.yaml"))
                XCTFail("\(to): planned \(plan.parameterCount) parameters instead of refusing")
            } catch let error as InputError {
                for f in ["big.yaml"] + fragments {
                    XCTAssertTrue(error.message.contains(f), "\(to): message lacks '\(f)': \(error.message)")
                }
            }
        }
    }
}
