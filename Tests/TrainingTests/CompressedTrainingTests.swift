// train.compress (fp16 | bf16 gradients on the wire) with the real Trainer at world sizes 1, 2 and
// 4 in one process (ThreadCommunicator), on InProcessTrainerTests' synthetic data: replicas stay
// identical, flat / bucketed / coordinator agree, the result is close to fp32 training but not
// equal to it (the rounding happens, at world size 1 too), a resumed run without error feedback is
// bit-identical, error feedback carries the rounding residual, and bad values are refused.

import Collective
import Core
import Datasets
import Foundation
import NN
import TestSupport
import Training
import XCTest

final class CompressedTrainingTests: XCTestCase {
    private func config(_ overrides: [String]) throws -> RunConfig {
        try TinyRunConfig.make(for: self, train: "{epochs: 2, batch_size: 8, lr: 0.05, momentum: 0.9, max_steps: 12, bucket_mb: 0.0005}",
                               seed: 7, label: "compress", overrides: overrides)
    }

    /// Every rank's final parameters after training with `overrides` at world size `ranks`.
    private func train(ranks: Int, _ overrides: [String]) throws -> [[Float]] {
        let config = try config(overrides)
        return try ThreadWorld.run(size: ranks) { comm in
            let trainer = try Trainer(config: config, comm: comm, data: InProcessTrainerTests.data, quiet: true)
            trainer.initializeParameters()
            _ = try trainer.run()
            return Array(trainer.network.parameters)
        }
    }

    private func largestRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? .infinity
    }

    func testCompressedStrategiesAgreeAndStayCloseToFP32() throws {
        for ranks in [2, 4] {
            let batch = "train.batch_size=\(16 / ranks)"
            let fp32 = try train(ranks: ranks, [batch])[0]
            for format in ["fp16", "bf16"] {
                let flat = try train(ranks: ranks, [batch, "train.compress=\(format)"])
                XCTAssertTrue(flat.allSatisfy { $0 == flat[0] }, "\(format) flat: replicas identical at \(ranks) ranks")
                XCTAssertNotEqual(flat[0], fp32, "\(format): the gradients were rounded")
                // bf16 keeps 8 significant bits, fp16 11: 12 steps of rounded gradients stay near fp32
                XCTAssertLessThan(largestRelativeDifference(flat[0], fp32), format == "fp16" ? 1e-3 : 2e-2, "\(format) vs fp32 at \(ranks) ranks")
                for strategy in ["bucketed", "coordinator"] {
                    let other = try train(ranks: ranks, [batch, "train.compress=\(format)", "train.allreduce=\(strategy)"])
                    XCTAssertTrue(other.allSatisfy { $0 == other[0] }, "\(format) \(strategy): replicas identical at \(ranks) ranks")
                    XCTAssertLessThan(largestRelativeDifference(other[0], flat[0]), 1e-5, "\(format) \(strategy) vs flat at \(ranks) ranks")
                }
            }
        }
    }

    /// One rank still rounds its gradient (its numerics do not depend on the world size), so np=1
    /// batch 16 stays close to np=2 batch 8, both compressed, and differs from np=1 in fp32.
    func testWorldSizeOneRoundsToo() throws {
        let one = try train(ranks: 1, ["train.batch_size=16", "train.compress=fp16"])[0]
        XCTAssertNotEqual(one, try train(ranks: 1, ["train.batch_size=16"])[0], "np=1 rounds its gradients too")
        let two = try train(ranks: 2, ["train.batch_size=8", "train.compress=fp16"])[0]
        XCTAssertLessThan(largestRelativeDifference(one, two), 1e-3, "np=1 vs np=2, fp16")
    }

    /// Without error feedback the run's state is parameters and optimiser: a run stopped at step 5
    /// and resumed to 12 ends bit-identical. The checkpoint's config keeps train.compress.
    func testResumeWithoutFeedbackIsBitIdentical() throws {
        let whole = try train(ranks: 2, ["train.compress=bf16"])[0]
        let stopped = try config(["train.compress=bf16", "train.max_steps=5"])
        _ = try ThreadWorld.run(size: 2) { comm -> Int in
            let trainer = try Trainer(config: stopped, comm: comm, data: InProcessTrainerTests.data, quiet: true)
            trainer.initializeParameters()
            return try trainer.run().steps
        }
        let resumed = try ThreadWorld.run(size: 2) { comm -> [Float] in
            let point = try ResumePoint.read(stopped.output, comm: comm)
            let config = try RunConfig.fromCheckpoint(point, overrides: ["train.max_steps=12"])
            XCTAssertEqual(config.train.compress, .bf16, "the checkpoint's config keeps train.compress")
            let trainer = try Trainer(config: config, comm: comm, data: InProcessTrainerTests.data, quiet: true)
            try trainer.resume(from: point)
            _ = try trainer.run()
            return Array(trainer.network.parameters)
        }
        XCTAssertEqual(resumed[0], whole, "resumed compressed run vs uninterrupted")
    }

    /// A gradient below fp16's smallest subnormal (2^-24) never crosses the wire without feedback;
    /// with it the residual builds up until it does, so the sent total tracks the true total.
    func testErrorFeedbackCarriesTheResidual() {
        let tiny: Float = 1e-8, steps = 1000
        for feedback in [false, true] {
            let buffer = ExchangeBuffer(parameterCount: 3)
            let compressor = GradientCompressor(format: .fp16, feedback: feedback, buffer: buffer)
            let comm = LocalCommunicator()
            var sent: [Double] = [0, 0, 0]
            for _ in 0..<steps {
                buffer.gradients[0] = tiny; buffer.gradients[1] = 1 + 0x1p-12; buffer.gradients[2] = -3
                compressor.allreduce(comm)
                for i in 0..<3 { sent[i] += Double(buffer.gradients[i]) }
            }
            if feedback {
                XCTAssertEqual(sent[0], Double(tiny) * Double(steps), accuracy: 0x1p-24, "the tiny gradient arrives in total")
                XCTAssertEqual(sent[1], (1 + 0x1p-12) * Double(steps), accuracy: 0x1p-10, "below-ulp part arrives in total")
                let r = compressor.feedbackResidual!
                XCTAssertLessThanOrEqual(abs(r[0]), 0x1p-25, "residual within half an ulp")
            } else {
                XCTAssertEqual(sent[0], 0, "without feedback the tiny gradient is lost")
                XCTAssertEqual(sent[1], Double(steps), "without feedback 2^-12 is rounded away every step")
                XCTAssertNil(compressor.feedbackResidual)
            }
            XCTAssertEqual(sent[2], -3 * Double(steps), "an exact value is unchanged")
        }
    }

    func testBadCompressSettingsAreRefused() throws {
        assertInputError(["compress test", "train.compress", "none, fp16 or bf16", "fp8"]) { _ = try config(["train.compress=fp8"]) }
        assertInputError(["train.compress", "exact"]) { _ = try config(["train.compress=fp16", "train.allreduce=exact"]) }
        assertInputError(["train.compress_feedback", "train.compress is fp16 or bf16"]) { _ = try config(["train.compress_feedback=true"]) }
        XCTAssertNil(try config(["train.compress=none"]).train.compress)
        XCTAssertEqual(try config(["train.compress=bf16", "train.compress_feedback=true"]).train.compressFeedback, true)
    }
}
