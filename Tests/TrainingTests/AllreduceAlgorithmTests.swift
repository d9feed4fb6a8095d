// The allreduce cost models' terms against values worked out by hand from Thakur, Rabenseifner &
// Gropp 2005 at p = 2, 4, 6 (not a power of two: p' = 4, r = 2) and 1024, for n = 1024 bytes; the
// two-level split; and the fit recovering alpha and beta through another algorithm's terms.

import Core
import Foundation
import Training
import XCTest

final class AllreduceAlgorithmTests: XCTestCase {
    private let n = 1024.0

    private func assertTerms(_ a: AllreduceAlgorithm, ranks: Int, _ steps: Double, _ sent: Double, _ reduced: Double,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let t = a.terms(bytes: n, ranks: ranks) else { return XCTFail("\(a) has no flat terms", file: file, line: line) }
        XCTAssertEqual(t.latencySteps, steps, accuracy: 1e-9, "\(a) p=\(ranks) alpha steps", file: file, line: line)
        XCTAssertEqual(t.bytesSent, sent, accuracy: 1e-9, "\(a) p=\(ranks) bytes sent", file: file, line: line)
        XCTAssertEqual(t.bytesReduced, reduced, accuracy: 1e-9, "\(a) p=\(ranks) bytes reduced", file: file, line: line)
    }

    func testRingTerms() {
        assertTerms(.ring, ranks: 2, 2, 1024, 512)                 // 2(p-1), 2(p-1)/p n, (p-1)/p n
        assertTerms(.ring, ranks: 4, 6, 1536, 768)
        assertTerms(.ring, ranks: 6, 10, 10240.0 / 6, 5120.0 / 6)
        assertTerms(.ring, ranks: 1024, 2046, 2046, 1023)
    }

    func testRecursiveDoublingTerms() {
        assertTerms(.recursiveDoubling, ranks: 2, 1, 1024, 1024)   // lg p (alpha + n beta + n gamma)
        assertTerms(.recursiveDoubling, ranks: 4, 2, 2048, 2048)
        assertTerms(.recursiveDoubling, ranks: 6, 4, 4096, 3072)   // lg 4 = 2, plus fold-in (1, n, n) and hand-back (1, n, 0)
        assertTerms(.recursiveDoubling, ranks: 1024, 10, 10240, 10240)
    }

    func testRabenseifnerTerms() {
        assertTerms(.rabenseifner, ranks: 2, 2, 1024, 512)         // 2 lg p, 2(p-1)/p n, (p-1)/p n
        assertTerms(.rabenseifner, ranks: 4, 4, 1536, 768)
        assertTerms(.rabenseifner, ranks: 6, 6, 1536 + 2048, 768 + 1024)   // p' = 4, plus (2, 2n, n)
        assertTerms(.rabenseifner, ranks: 1024, 20, 2046, 1023)
    }

    func testTreeAndLinearTerms() {
        assertTerms(.reduceBroadcast, ranks: 6, 6, 6144, 3072)     // ceil(lg 6) = 3: 3 (2 alpha + 2 n beta + n gamma)
        assertTerms(.reduceBroadcast, ranks: 1024, 20, 20480, 10240)
        assertTerms(.basicLinear, ranks: 4, 6, 6144, 3072)         // 2(p-1)(alpha + n beta) + (p-1) n gamma
        for a in AllreduceAlgorithm.allCases where a != .twoLevel { assertTerms(a, ranks: 1, 0, 0, 0) }
        XCTAssertNil(AllreduceAlgorithm.twoLevel.terms(bytes: n, ranks: 16))
        XCTAssertEqual(largestPowerOfTwo(atMost: 6), 4)
        XCTAssertEqual(largestPowerOfTwo(atMost: 1024), 1024)
        XCTAssertEqual(largestPowerOfTwo(atMost: 1023), 512)
    }

    func testSecondsWeighTheTerms() {
        let link = RingModel(alpha: 2e-6, beta: 1e-9)
        let t = AllreduceAlgorithm.rabenseifner.terms(bytes: n, ranks: 4)!
        XCTAssertEqual(t.seconds(link: link, gamma: 1e-10), 4 * 2e-6 + 1536 * 1e-9 + 768 * 1e-10, accuracy: 1e-15)
    }

    func testTwoLevelSplitsIntoNodeRingAndShardAcrossNodes() {
        let node = NodeShape(ranksPerNode: 8, intraNode: RingModel(alpha: 1e-6, beta: 1e-10))
        // 16 ranks = 2 nodes of 8: ring of 8 inside (14, 1792, 896); across 2 nodes each rank's 128-byte
        // shard by recursive doubling (1, 128, 128), 8 shards on the node's link: 1024 bytes
        let (intra, inter) = twoLevelTerms(bytes: n, ranks: 16, node: node) { _, _ in .recursiveDoubling }
        XCTAssertEqual(intra, CostTerms(latencySteps: 14, bytesSent: 1792, bytesReduced: 896))
        XCTAssertEqual(inter, CostTerms(latencySteps: 1, bytesSent: 1024, bytesReduced: 128))
        let seconds = twoLevelSeconds(bytes: n, ranks: 16, interLink: RingModel(alpha: 5e-6, beta: 1e-9), node: node, gamma: 0) { _, _ in
            .recursiveDoubling
        }
        XCTAssertEqual(seconds, 14e-6 + 1792e-10 + 5e-6 + 1024e-9, accuracy: 1e-15)
        // one node: only the ring inside it
        let single = twoLevelTerms(bytes: n, ranks: 4, node: node) { _, _ in .ring }
        XCTAssertEqual(single.intra, AllreduceAlgorithm.ring.terms(bytes: n, ranks: 4))
        XCTAssertEqual(single.inter, .zero)
    }

    func testTwoLevelAtScaleHasLogarithmicNetworkLatency() {
        // 1024 ranks, 8 per node: 128 nodes; LeNet-5's 246,824 gradient bytes give 30,853-byte shards,
        // which Open MPI reduces among 128 ranks by reduce + bcast (below 128 KiB): 2 x 7 network
        // steps, each moving the node's 8 shards
        let network = NetworkAssumption(name: "t", model: RingModel(alpha: 5e-6, beta: 1e-9), gamma: 0,
                                        node: NodeShape(ranksPerNode: 8, intraNode: RingModel(alpha: 0, beta: 0)))
        let t = allreduceSeconds(.twoLevel, bytes: 246_824, ranks: 1024, network: network)
        XCTAssertEqual(OpenMPITunedAllreduce.chosen(bytes: 30_853, ranks: 128), .reduceBroadcast)
        XCTAssertEqual(t, 14 * 5e-6 + 14 * 246_824 * 1e-9, accuracy: 1e-9)
    }

    func testFitRecoversAlphaAndBetaThroughTheAlgorithmThatRan() throws {
        let truth = RingModel(alpha: 3e-6, beta: 2e-10)
        for (choice, ranks) in [(AllreduceChoice.forced(.rabenseifner), 4), (.mpiDefault, 2), (.forced(.recursiveDoubling), 6)] {
            let samples = defaultAllreduceSizes.map { bytes -> AllreduceSample in
                let a = choice.algorithm(bytes: bytes, ranks: ranks)
                return AllreduceSample(bytes: bytes, seconds: a.terms(bytes: Double(bytes), ranks: ranks)!.seconds(link: truth, gamma: 0))
            }
            let fit = try RingFit(samples: samples, ranks: ranks, algorithm: choice)
            XCTAssertEqual(fit.model.alpha, truth.alpha, accuracy: 1e-12, "\(choice.name) p=\(ranks)")
            XCTAssertEqual(fit.model.beta, truth.beta, accuracy: 1e-16, "\(choice.name) p=\(ranks)")
            XCTAssertEqual(fit.rmsRelativeResidual, 0, accuracy: 1e-9)
            XCTAssertEqual(fit.modelSeconds(bytes: 65536), samples.first { $0.bytes == 65536 }!.seconds, accuracy: 1e-12)
            XCTAssertTrue(fit.summary.hasPrefix("\(choice.name) fit at world size \(ranks)"), fit.summary)
        }
    }
}
