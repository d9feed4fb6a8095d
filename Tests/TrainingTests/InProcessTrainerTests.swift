// The real Trainer at world sizes 1, 2 and 4 inside ONE process (Collective's ThreadCommunicator:
// ranks as threads over shared memory), on a synthetic 8x8 data set: every exchange strategy
// agrees with flat, exact is bit-identical across world sizes, gradient accumulation matches the
// larger world size, bucket boundaries tile the exchange buffer, divergence stops every rank at
// the same step, exact's overflow retry, and data.augment keeps world-size invariance and
// bit-identical resume. No mpirun: launching, aborts and faults stay in the MPI integration tests.

import Collective
import Core
import Datasets
import Foundation
import NN
import Training
import XCTest

final class InProcessTrainerTests: XCTestCase {
    /// 320 training and 64 test images, 10 classes; each class a bright pixel block at its own place.
    static let data: TrainingData = {
        func set(count: Int, seed: UInt64) -> ImageSet {
            var rng = SplitMix64(seed: seed)
            var pixels = [UInt8](repeating: 0, count: count * 64), labels: [Int32] = []
            for i in 0..<count {
                let label = Int(rng.next() % 10)
                labels.append(Int32(label))
                for p in 0..<64 { pixels[i * 64 + p] = UInt8(rng.next() % 64) }
                for p in 0..<6 { pixels[i * 64 + label * 6 + p] = 200 + UInt8(rng.next() % 56) }
            }
            return ImageSet(channels: 1, height: 8, width: 8, pixels: pixels, labels: labels, classes: 10)
        }
        return TrainingData(train: set(count: 320, seed: 1), validation: nil, test: set(count: 64, seed: 2))
    }()

    private static let tinyLayers = TinyRunConfig.layers

    /// BatchNorm in the stem, in a residual body and on a flat layer (BatchNorm1d).
    private static let batchNormLayers = """
            - conv: {out: 4, kernel: 3, pad: 1, bias: false}
            - batchnorm
            - relu
            - residual:
                body: [{conv: {out: 4, kernel: 3, pad: 1, bias: false}}, batchnorm, relu,
                       {conv: {out: 4, kernel: 3, pad: 1, bias: false}}, batchnorm]
            - relu
            - maxpool: {kernel: 2}
            - flatten
            - linear: {out: 16}
            - batchnorm
            - relu
            - linear: {out: 10}
        """

    private func config(_ overrides: [String], layers: String = tinyLayers) throws -> RunConfig {
        try TinyRunConfig.make(for: self, layers: layers,
                               train: "{epochs: 2, batch_size: 8, lr: 0.05, momentum: 0.9, nesterov: true, max_steps: 12, bucket_mb: 0.0005}",
                               seed: 7, label: "in-process", overrides: overrides)
    }

    /// Trains with `overrides` at world size `ranks`; every rank's final parameters (index = rank).
    /// Trains with `overrides` at world size `ranks`; every rank's final parameters, then its
    /// running statistics (BatchNorm; none in the tiny model) (index = rank).
    private func train(ranks: Int, _ overrides: [String], layers: String = tinyLayers,
                       prepare: @escaping (Trainer) -> Void = { _ in }) throws -> [[Float]] {
        let config = try config(overrides, layers: layers)
        return try ThreadWorld.run(size: ranks) { comm in
            let trainer = try Trainer(config: config, comm: comm, data: Self.data, quiet: true)
            trainer.initializeParameters()
            prepare(trainer)
            _ = try trainer.run()
            return Array(trainer.network.parameters) + Array(trainer.network.state)
        }
    }

    private func assertClose(_ a: [Float], _ b: [Float], _ what: String, tolerance: Float = 2e-4) {
        XCTAssertEqual(a.count, b.count, what)
        let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
        XCTAssertLessThan(worst, tolerance, "\(what): largest relative difference \(worst)")
    }

    func testReplicasIdenticalAndStrategiesAgreeWithFlat() throws {
        for ranks in [2, 4] {
            let batch = ["train.batch_size=\(16 / ranks)"]
            let flat = try train(ranks: ranks, batch)
            XCTAssertTrue(flat.allSatisfy { $0 == flat[0] }, "flat: replicas identical at \(ranks) ranks")
            XCTAssertNotEqual(flat[0], try train(ranks: 1, ["train.max_steps=1"])[0], "training moved the parameters")
            for strategy in ["bucketed", "coordinator", "exact"] {
                let other = try train(ranks: ranks, batch + ["train.allreduce=\(strategy)", "train.micro_batch=\(16 / ranks)"])
                XCTAssertTrue(other.allSatisfy { $0 == other[0] }, "\(strategy): replicas identical at \(ranks) ranks")
                assertClose(other[0], flat[0], "\(strategy) vs flat at \(ranks) ranks")
            }
        }
    }

    func testExactIsBitIdenticalAcrossWorldSizes() throws {
        let one = try train(ranks: 1, ["train.allreduce=exact", "train.batch_size=16", "train.micro_batch=4"])[0]
        for ranks in [2, 4] {
            let many = try train(ranks: ranks, ["train.allreduce=exact", "train.batch_size=\(16 / ranks)", "train.micro_batch=4"])
            XCTAssertEqual(many[0], one, "exact at \(ranks) ranks vs 1 rank")
        }
    }

    /// BatchNorm with sync: np=1 batch 16 and np=2 batch 8 (and np=4 batch 4) give the same weights
    /// and running statistics after 20 steps, identical on every rank; without sync each rank
    /// normalises its own half and the result moves; exact normalises each fixed micro-batch and is
    /// bit-identical across world sizes.
    func testBatchNormIsWorldSizeInvariant() throws {
        let steps = "train.max_steps=20", bn = Self.batchNormLayers
        let one = try train(ranks: 1, [steps, "train.batch_size=16"], layers: bn)[0]
        XCTAssertEqual(try config([], layers: bn).model.layers.count, 11)
        for ranks in [2, 4] {
            let many = try train(ranks: ranks, [steps, "train.batch_size=\(16 / ranks)"], layers: bn)
            XCTAssertTrue(many.allSatisfy { $0 == many[0] }, "replicas and running statistics identical at \(ranks) ranks")
            assertClose(many[0], one, "sync BatchNorm at \(ranks) ranks vs 1", tolerance: 1e-5)
        }
        let local = try train(ranks: 2, [steps, "train.batch_size=8"],
                              layers: bn.replacingOccurrences(of: "batchnorm", with: "{batchnorm: {sync: false}}"))
        let moved = zip(local[0], one).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(moved, 1e-3, "per-rank BatchNorm (sync: false) differs from the global batch's")
        XCTAssertEqual(local[1], local[0], "sync: false still keeps rank 0's running statistics everywhere after the epoch")
        let exact = ["train.allreduce=exact", "train.micro_batch=4", steps]
        let exactOne = try train(ranks: 1, exact + ["train.batch_size=16"], layers: bn)[0]
        let exactTwo = try train(ranks: 2, exact + ["train.batch_size=8"], layers: bn)[0]
        let parameters = try NetworkPlan(try config([], layers: bn).model).parameterCount
        XCTAssertEqual(Array(exactTwo[..<parameters]), Array(exactOne[..<parameters]), "exact with BatchNorm: weights bit-identical at 2 ranks")
    }

    func testAccumulationMatchesTheLargerWorldSize() throws {
        let four = try train(ranks: 4, ["train.batch_size=4"])[0]
        let accumulated = try train(ranks: 1, ["train.batch_size=4", "train.accumulate=4"])[0]
        assertClose(accumulated, four, "1 rank x accumulate 4 vs 4 ranks")
        let two = try train(ranks: 2, ["train.batch_size=4", "train.accumulate=2", "train.allreduce=bucketed"])[0]
        assertClose(two, four, "2 ranks x accumulate 2 (bucketed) vs 4 ranks")
        let scaled = try train(ranks: 4, ["train.batch_size=4", "train.scale_lr=linear", "train.lr=0.0125"])[0]
        assertClose(try train(ranks: 1, ["train.batch_size=4", "train.accumulate=4", "train.scale_lr=linear", "train.lr=0.0125"])[0],
                    scaled, "scale_lr: linear follows the global batch, accumulation included")
        let exact = ["train.allreduce=exact", "train.batch_size=4", "train.micro_batch=2"]
        XCTAssertEqual(try train(ranks: 1, exact + ["train.accumulate=4"])[0], try train(ranks: 4, exact)[0],
                       "exact: 1 rank x accumulate 4 is bit-identical to 4 ranks")
    }

    func testBucketsTileTheExchangeBuffer() throws {
        let config = try config(["train.allreduce=bucketed", "train.bucket_mb=0.0005"])   // ~500 B: several buckets
        let trainer = try Trainer(config: config, comm: LocalCommunicator(), data: Self.data, quiet: true)
        let buckets = trainer.exchangeBuckets
        XCTAssertGreaterThan(buckets.count, 1)
        XCTAssertEqual(buckets.first?.upperBound, trainer.network.parameterCount + 3, "the tail bucket holds the statistics")
        XCTAssertEqual(buckets.last?.lowerBound, 0)
        for (later, earlier) in zip(buckets, buckets.dropFirst()) {
            XCTAssertEqual(earlier.upperBound, later.lowerBound, "contiguous, tail first")
        }
        let offsets = trainer.network.tensors.map(\.offset)
        for b in buckets { XCTAssertTrue(offsets.contains(b.lowerBound), "bucket \(b) starts at a layer's first tensor") }
    }

    func testDivergenceStopsEveryRankAtTheSameStep() throws {
        for strategy in ["flat", "bucketed", "coordinator", "exact"] {
            let config = try config(["train.lr=1e30", "train.momentum=0", "train.allreduce=\(strategy)", "train.batch_size=4",
                                     "train.micro_batch=4"])
            let steps = try ThreadWorld.run(size: 2) { comm -> Int in
                let trainer = try Trainer(config: config, comm: comm, data: Self.data, quiet: true)
                trainer.initializeParameters()
                do { _ = try trainer.run(); return -1 } catch let diverged as TrainingDiverged { return diverged.step }
            }
            XCTAssertGreaterThan(steps[0], 0, "\(strategy): training diverged")
            XCTAssertEqual(steps[0], steps[1], "\(strategy): both ranks stop at the same step")
        }
    }

    func testExactOverflowRetry() throws {
        // shift 80 makes the first step's fixed-point sum overflow: every rank recomputes it at
        // the scale the gradients allow, and the result is still bit-identical across world sizes
        let exact = ["train.allreduce=exact", "train.micro_batch=4"]
        let one = try train(ranks: 1, exact + ["train.batch_size=16"]) { $0.exactShift = 80 }[0]
        let two = try train(ranks: 2, exact + ["train.batch_size=8"]) { $0.exactShift = 80 }
        XCTAssertEqual(two[0], one, "overflow retry bit-identical across world sizes")
        XCTAssertEqual(two[0], two[1])
        XCTAssertTrue(one.allSatisfy(\.isFinite))
        let plain = try train(ranks: 1, exact + ["train.batch_size=16"])[0]
        assertClose(one, plain, "the retried run trains like the plain one", tolerance: 1e-3)
    }

    /// Every part of data.augment at once (a flow map for --set).
    private static let augment = "data.augment={shift: 1, rotate: 10, scale: [0.9, 1.1], shear: 5, stroke: [-0.5, 1], crop: {pad: 1}, flip: true}"

    /// With data.augment, 30 steps (into epoch 2) at np=1 batch 16, np=2 batch 8 and np=4 batch 4
    /// give the same weights: flat within float rounding, exact bit for bit; replicas identical.
    /// The augmentation does change the result.
    func testAugmentationIsWorldSizeInvariant() throws {
        let base = [Self.augment, "train.max_steps=30"]
        let one = try train(ranks: 1, base + ["train.batch_size=16"])[0]
        let plain = try train(ranks: 1, ["train.max_steps=30", "train.batch_size=16"])[0]
        XCTAssertGreaterThan(zip(one, plain).map { abs($0 - $1) }.max() ?? 0, 1e-3, "augmentation moved the weights")
        let exact = ["train.allreduce=exact", "train.micro_batch=4"]
        let exactOne = try train(ranks: 1, base + exact + ["train.batch_size=16"])[0]
        for ranks in [2, 4] {
            let many = try train(ranks: ranks, base + ["train.batch_size=\(16 / ranks)"])
            XCTAssertTrue(many.allSatisfy { $0 == many[0] }, "replicas identical at \(ranks) ranks")
            assertClose(many[0], one, "augmented flat at \(ranks) ranks vs 1", tolerance: 1e-5)
            let exactMany = try train(ranks: ranks, base + exact + ["train.batch_size=\(16 / ranks)"])[0]
            XCTAssertEqual(exactMany, exactOne, "augmented exact at \(ranks) ranks vs 1 rank: bit-identical")
        }
    }

    /// With data.augment, an np=2 run stopped at step 13 and resumed from its checkpoint (whose
    /// saved config carries the augmentation) to step 30 ends bit-identical to the uninterrupted run.
    func testAugmentedResumeIsBitIdentical() throws {
        let whole = try train(ranks: 2, [Self.augment, "train.max_steps=30"])[0]
        let stopped = try config([Self.augment, "train.max_steps=13"])
        _ = try ThreadWorld.run(size: 2) { comm -> Int in
            let trainer = try Trainer(config: stopped, comm: comm, data: Self.data, quiet: true)
            trainer.initializeParameters()
            return try trainer.run().steps
        }
        let resumed = try ThreadWorld.run(size: 2) { comm -> [Float] in
            let point = try ResumePoint.read(stopped.output, comm: comm)
            let config = try RunConfig.fromCheckpoint(point, overrides: ["train.max_steps=30"])
            XCTAssertEqual(config.data.augment, stopped.data.augment, "the checkpoint's config keeps data.augment")
            let trainer = try Trainer(config: config, comm: comm, data: Self.data, quiet: true)
            try trainer.resume(from: point)
            _ = try trainer.run()
            return Array(trainer.network.parameters) + Array(trainer.network.state)
        }
        XCTAssertEqual(resumed[0], whole, "resumed augmented run vs uninterrupted")
    }
}
