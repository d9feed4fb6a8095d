// Sharding and splits, with ranks simulated in-process: the epoch permutation, ShardPlan's
// world-size invariance (np=1 b=64 == np=2 b=32 == np=4 b=16), evaluation ranges that cover
// every index once at any world size, and the validation split.

import Core
import Datasets
import NN
import XCTest

final class ShardingTests: XCTestCase {
    func testPermutationIsDeterministicPermutation() {
        let p0 = epochPermutation(count: 1000, seed: 42, epoch: 0)
        XCTAssertEqual(p0.sorted(), (0 ..< 1000).map(Int32.init))
        XCTAssertEqual(p0, epochPermutation(count: 1000, seed: 42, epoch: 0))
        XCTAssertNotEqual(p0, epochPermutation(count: 1000, seed: 42, epoch: 1))
        XCTAssertNotEqual(p0, epochPermutation(count: 1000, seed: 43, epoch: 0))
        XCTAssertNotEqual(p0, (0 ..< 1000).map(Int32.init))
        XCTAssertEqual(epochPermutation(count: 0, seed: 1, epoch: 0), [])
        XCTAssertEqual(epochPermutation(count: 1, seed: 1, epoch: 0), [0])
    }

    func testPermutationIsRoughlyUniform() {
        // Position of element 0 over many epochs of a 4-permutation: each of 4 places ~ 1/4.
        var hits = [0, 0, 0, 0]
        for epoch in 0 ..< 4000 { hits[epochPermutation(count: 4, seed: 7, epoch: epoch).firstIndex(of: 0)!] += 1 }
        for h in hits { XCTAssertEqual(Double(h), 1000, accuracy: 120) }
    }

    func testRankSlicesPartitionGlobalBatch() {
        for worldSize in [1, 2, 4] {
            let plan = ShardPlan(count: 1000, worldSize: worldSize, perRankBatch: 64 / worldSize)
            XCTAssertEqual(plan.stepsPerEpoch, 15)
            for step in 0 ..< plan.stepsPerEpoch {
                let slices = (0 ..< worldSize).map { plan.rankRange(step: step, rank: $0) }
                XCTAssertEqual(slices.flatMap { Array($0) }, Array(plan.globalRange(step: step)))
            }
        }
        XCTAssertEqual(ShardPlan(count: 1000, worldSize: 3, perRankBatch: 7).stepsPerEpoch, 47)
        XCTAssertEqual(ShardPlan(count: 10, worldSize: 4, perRankBatch: 4).stepsPerEpoch, 0)
    }

    func testSampleSequenceIsWorldSizeInvariant() {
        let perm = epochPermutation(count: 1000, seed: 42, epoch: 3)
        func sequence(worldSize: Int, batch: Int) -> [Int32] {
            let plan = ShardPlan(count: 1000, worldSize: worldSize, perRankBatch: batch)
            var seen: [Int32] = []
            for step in 0 ..< plan.stepsPerEpoch {
                for rank in 0 ..< worldSize { seen += plan.rankRange(step: step, rank: rank).map { perm[$0] } }
            }
            return seen
        }
        let one = sequence(worldSize: 1, batch: 64)
        XCTAssertEqual(one.count, 960)
        XCTAssertEqual(Set(one).count, 960)
        XCTAssertEqual(sequence(worldSize: 2, batch: 32), one)
        XCTAssertEqual(sequence(worldSize: 4, batch: 16), one)
    }

    func testEvaluationRangesCoverExactlyOnce() {
        for count in [10000, 5000, 7, 0] {
            for worldSize in 1 ... 8 {
                let ranges = (0 ..< worldSize).map { evaluationRange(count: count, rank: $0, worldSize: worldSize) }
                XCTAssertEqual(ranges.flatMap { Array($0) }, Array(0 ..< count), "count \(count) np \(worldSize)")
                let sizes = ranges.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
            }
        }
    }

    func testValidationSplitTakesTheLastImages() throws {
        let set = ImageSet(channels: 1, height: 1, width: 2, pixels: (0 ..< 20).map(UInt8.init),
                           labels: (0 ..< 10).map { Int32($0 % 10) }, classes: 10)
        let (train, validation) = try splitValidation(set, validation: 3)
        XCTAssertEqual(train.count, 7)
        XCTAssertEqual(validation.count, 3)
        XCTAssertEqual(validation.labels, [7, 8, 9])
        XCTAssertEqual(validation.pixels, [14, 15, 16, 17, 18, 19])
        XCTAssertEqual(train.pixels, (0 ..< 14).map(UInt8.init))
        XCTAssertEqual(try splitValidation(set, validation: 0).validation.count, 0)
        assertInputError(try splitValidation(set, validation: 10), mentions: "data.validation", "found 10")
        assertInputError(try splitValidation(set, validation: -1), mentions: "data.validation")
    }
}
