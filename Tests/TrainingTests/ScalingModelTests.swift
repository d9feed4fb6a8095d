// The ring model and its fit: alpha and beta recovered from synthetic timings (exact and noisy),
// degenerate inputs refused, the saved fit read back; the projection's images/s rising and its
// efficiency falling with the world size, always in (0, 1].

import Collective
import Core
import Foundation
import NN
import Training
import XCTest

final class ScalingModelTests: XCTestCase {
    private let sizes = (0...12).map { 4 << (2 * $0) }          // 4 B ... 64 MiB

    /// Ring timings of the sizes with at least one Float per rank: below that, Open MPI's ring runs
    /// recursive doubling, and the fit prices those sizes so.
    private func synthetic(_ truth: RingModel, ranks: Int, noise: (Int) -> Double = { _ in 1 }) -> [AllreduceSample] {
        sizes.filter { $0 / 4 >= ranks }.enumerated().map { i, n in AllreduceSample(bytes: n, seconds: truth.seconds(bytes: Double(n), ranks: ranks) * noise(i)) }
    }

    func testFitRecoversAlphaAndBetaExactly() throws {
        for ranks in [2, 3, 4, 8, 64] {
            let truth = RingModel(alpha: 3.5e-6, beta: 1.0 / 7e9)
            let fit = try RingFit(samples: synthetic(truth, ranks: ranks), ranks: ranks)
            XCTAssertEqual(fit.model.alpha, truth.alpha, accuracy: truth.alpha * 1e-6, "alpha at p=\(ranks)")
            XCTAssertEqual(fit.model.beta, truth.beta, accuracy: truth.beta * 1e-6, "beta at p=\(ranks)")
            XCTAssertLessThan(fit.rmsRelativeResidual, 1e-9)
            XCTAssertEqual(fit.model.gigabytesPerSecond, 7, accuracy: 1e-5)
        }
    }

    func testFitRecoversAlphaAndBetaFromNoisyTimings() throws {
        let truth = RingModel(latencyMicroseconds: 5, gigabitsPerSecond: 10)
        // +-4% alternating multiplicative noise: both parameters within 10%, residual about 4%
        let fit = try RingFit(samples: synthetic(truth, ranks: 4, noise: { $0 % 2 == 0 ? 1.04 : 0.96 }), ranks: 4)
        XCTAssertEqual(fit.model.alpha, truth.alpha, accuracy: truth.alpha * 0.1)
        XCTAssertEqual(fit.model.beta, truth.beta, accuracy: truth.beta * 0.1)
        XCTAssertEqual(fit.rmsRelativeResidual, 0.04, accuracy: 0.01)
    }

    func testStatedNetworks() {
        let tenGig = NetworkAssumption.ethernet10.model
        XCTAssertEqual(tenGig.alpha, 5e-6, accuracy: 1e-18)
        XCTAssertEqual(tenGig.beta, 8e-10, accuracy: 1e-22)             // 10 Gb/s = 1.25 GB/s
        XCTAssertEqual(tenGig.seconds(bytes: 1e6, ranks: 1), 0)
        // p = 2: 2 steps of 5 us plus 1 MB (2(p-1)/p = 1) at 1.25 GB/s
        XCTAssertEqual(tenGig.seconds(bytes: 1e6, ranks: 2), 2 * 5e-6 + 1e6 * 8e-10, accuracy: 1e-15)
    }

    func testNegativeInterceptIsClampedAndDegenerateInputsRefused() throws {
        // pure bandwidth with a negative offset: alpha clamps to 0, beta is still found
        let samples = sizes.map { AllreduceSample(bytes: $0, seconds: max(1e-12, Double($0) * 1e-9 - 1e-9)) }
        let fit = try RingFit(samples: samples, ranks: 2)
        XCTAssertEqual(fit.model.alpha, 0)
        XCTAssertGreaterThan(fit.model.beta, 0)
        XCTAssertThrowsError(try RingFit(samples: [AllreduceSample(bytes: 64, seconds: 1e-6)], ranks: 2))
        XCTAssertThrowsError(try RingFit(samples: synthetic(RingModel(alpha: 1e-6, beta: 1e-9), ranks: 2), ranks: 1))
        XCTAssertThrowsError(try RingFit(samples: [AllreduceSample(bytes: 4, seconds: 2e-6), AllreduceSample(bytes: 4096, seconds: 1e-6)], ranks: 2))
    }

    func testSavedFitReadsBack() throws {
        let path = NSTemporaryDirectory() + "comm-fit-\(getpid())-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fit = try RingFit(samples: synthetic(RingModel(alpha: 2e-6, beta: 5e-10), ranks: 2), ranks: 2)
        try CommFitFile.save(fit, host: "mpi on test", to: path)
        let (back, host) = try CommFitFile.load(path)
        XCTAssertEqual(host, "mpi on test")
        XCTAssertEqual(back.ranks, 2)
        XCTAssertEqual(back.model.alpha, 2e-6, accuracy: 1e-12)
        XCTAssertEqual(back.model.beta, 5e-10, accuracy: 1e-18)
        XCTAssertEqual(back.samples.count, fit.samples.count)
        try "{\"alpha_us\": \"fast\"}".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CommFitFile.load(path)) { XCTAssertTrue("\($0)".contains("alpha_us"), "\($0)") }
    }

    func testByteSizesParse() throws {
        XCTAssertEqual(try parseByteSizes("4,64,1K,16M"), [4, 64, 1024, 16 << 20])
        XCTAssertThrowsError(try parseByteSizes("3"))
        XCTAssertThrowsError(try parseByteSizes("4,x"))
        XCTAssertEqual(defaultAllreduceSizes.first, 4)
        XCTAssertEqual(defaultAllreduceSizes.last, 64 << 20)
    }

    func testProjectionIsMonotonicWithEfficiencyInUnitInterval() {
        // one forced algorithm at a time: Open MPI's own choice switches algorithm with p, and its
        // switches are not monotonic in the model (recursive doubling at 128 ranks costs more than
        // Rabenseifner at 256 for LeNet-5's gradient)
        let compute = ComputeCost(secondsPerImage: 0.1e-3, source: "test")
        for params in [61_706, 62_378_344] {
            for (network, algorithm) in [NetworkAssumption.ethernet10, .ethernet100,
                                         NetworkAssumption(name: "shm", model: RingModel(alpha: 0.3e-6, beta: 5e-10))]
                    .flatMap({ n in [AllreduceAlgorithm.ring, .recursiveDoubling, .rabenseifner, .twoLevel].map { (n, $0) } }) {
                let proj = ScalingProjection(modelName: "m", parameters: params, compute: compute, batchPerRank: 64, network: network,
                                             choice: .forced(algorithm))
                XCTAssertEqual(proj.point(ranks: 1).efficiency, 1)
                var previous = proj.point(ranks: 1)
                for p in [2, 4] + ScalingProjection.projectedRanks {
                    let q = proj.point(ranks: p)
                    XCTAssertGreaterThan(q.efficiency, 0, "\(network.name), \(algorithm), \(params) params, p=\(p)")
                    XCTAssertLessThanOrEqual(q.efficiency, 1)
                    XCTAssertLessThanOrEqual(q.efficiency, previous.efficiency, "efficiency must not rise with p (\(algorithm), p=\(p))")
                    // p=1 has no allreduce at all, so a big gradient can make p=2 slower than p=1;
                    // from p=2 on, p·B / (c + T(p)) rises whenever compute c exceeds 2·alpha
                    // (two-level: nor where p first leaves one node for two, trading the node's link for the network)
                    if p > 2 && !(algorithm == .twoLevel && p <= 2 * network.node.ranksPerNode) {
                        XCTAssertGreaterThan(q.imagesPerSecond, previous.imagesPerSecond, "images/s must rise with p (weak scaling), p=\(p)")
                    }
                    XCTAssertEqual(q.imagesPerSecond, Double(p * 64) / q.stepSeconds, accuracy: 1e-6 * q.imagesPerSecond)
                    previous = q
                }
            }
        }
        // LeNet-5 on 10 Gb/s: the 2(p-1)·5 us of latency overtakes 6.4 ms of compute per step eventually
        let lenet = ScalingProjection(modelName: "lenet5", parameters: 61_706, compute: compute, batchPerRank: 64, network: .ethernet10,
                                      choice: .forced(.ring))
        let half = lenet.ranksBelow(efficiency: 0.5)
        XCTAssertNotNil(half)
        XCTAssertLessThan(lenet.point(ranks: half!).efficiency, 0.5)
        XCTAssertGreaterThanOrEqual(lenet.point(ranks: half! / 2).efficiency, 0.5)
    }

    /// A 16-bit wire format halves the bytes the projection's allreduce carries, and prices the
    /// algorithm Open MPI picks for the halved message.
    func testSixteenBitWireHalvesTheProjectedBytes() {
        let compute = ComputeCost(secondsPerImage: 1e-4, source: "stated")
        var fp32 = ScalingProjection(modelName: "m", parameters: 1_000_000, compute: compute, batchPerRank: 32, network: .ethernet10)
        var fp16 = fp32
        fp16.wire = .fp16
        XCTAssertEqual(fp32.gradientBytes, 4_000_000)
        XCTAssertEqual(fp16.gradientBytes, 2_000_000)
        for p in [8, 64, 1024] {
            let q = fp16.point(ranks: p)
            let algorithm = AllreduceChoice.mpiDefault.algorithm(bytes: 2_000_000, ranks: p)
            XCTAssertEqual(q.algorithm, algorithm)
            XCTAssertEqual(q.allreduceSeconds, allreduceSeconds(algorithm, bytes: 2_000_000, ranks: p, network: .ethernet10), accuracy: 1e-15)
            XCTAssertLessThan(q.allreduceSeconds, fp32.point(ranks: p).allreduceSeconds)
        }
        fp32.wire = nil
        XCTAssertEqual(fp32.point(ranks: 8).allreduceSeconds,
                       allreduceSeconds(AllreduceChoice.mpiDefault.algorithm(bytes: 4_000_000, ranks: 8), bytes: 4_000_000, ranks: 8, network: .ethernet10),
                       accuracy: 1e-15)
    }

    /// An HTB-shaped link: messages up to 64 KiB pass at twice the rate, larger ones on the line
    /// 10 us + n x 8e-9. The fit over all sizes is pulled towards the fast small messages; the
    /// bandwidth regime takes beta from the messages of 256 KiB and more and finds the line's.
    func testBandwidthRegimeTakesBetaFromTheLargeMessages() throws {
        let sizes = [4, 1024, 16_384, 65_536, 262_144, 1 << 20, 4 << 20, 16 << 20]
        let samples = sizes.map { n in
            AllreduceSample(bytes: n, seconds: n <= 65_536 ? 10e-6 + Double(n) * 4e-9 : 10e-6 + Double(n) * 8e-9)
        }
        let all = try RingFit(samples: samples, ranks: 2, algorithm: .forced(.recursiveDoubling))   // one step of n bytes at p=2
        XCTAssertLessThan(all.model.beta, 7e-9, "the small messages pull the fit towards a faster link")
        let regime = all.bandwidthRegime()
        XCTAssertEqual(regime.model.alpha, all.model.alpha)
        XCTAssertEqual(regime.model.beta, 8e-9, accuracy: 2e-10)
        XCTAssertEqual(regime.samples.count, samples.count)
        let few = try RingFit(samples: Array(samples.prefix(5)), ranks: 2, algorithm: .forced(.recursiveDoubling))
        XCTAssertEqual(few.bandwidthRegime().model, few.model, "one large sample: the fit as it is")
    }
}

