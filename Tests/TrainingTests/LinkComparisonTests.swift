// The emulated-link comparison: blockLayoutTerms splits an allreduce's steps into those inside a
// node and those across the network (by hand for ring, recursive doubling and Rabenseifner), and
// LinkComparisons reads a launch/scale --link folder (points.jsonl, comm-fit-<rate>.json) into
// measured-beside-predicted rows whose predictions are the fit's alpha and beta in the terms of the
// algorithm Open MPI picks (a 16-bit wire plus its conversions measured at np=1), plus np=1's
// compute for the step.

import Core
import Foundation
import Training
import XCTest

final class LinkComparisonTests: XCTestCase {
    func testOneRankPerNodeIsTheFlatModelOnTheNetwork() {
        for a in [AllreduceAlgorithm.ring, .recursiveDoubling, .rabenseifner, .basicLinear] {
            let (intra, inter) = blockLayoutTerms(a, bytes: 1000, ranks: 4, ranksPerNode: 1)
            XCTAssertEqual(intra, .zero, a.rawValue)
            XCTAssertEqual(inter, a.terms(bytes: 1000, ranks: 4), a.rawValue)
        }
        let (intra, inter) = blockLayoutTerms(.rabenseifner, bytes: 1000, ranks: 4, ranksPerNode: 8)
        XCTAssertEqual(intra, AllreduceAlgorithm.rabenseifner.terms(bytes: 1000, ranks: 4), "one node: everything inside it")
        XCTAssertEqual(inter, .zero)
    }

    func testRabenseifnerFourRanksTwoPerNode() {
        // reduce-scatter: distance 1 (inside, n/2 sent and reduced), distance 2 (across, n/4 each, two ranks share the link);
        // allgather: the same amounts back, nothing reduced
        let (intra, inter) = blockLayoutTerms(.rabenseifner, bytes: 1024, ranks: 4, ranksPerNode: 2)
        XCTAssertEqual(intra, CostTerms(latencySteps: 2, bytesSent: 1024, bytesReduced: 512))
        XCTAssertEqual(inter, CostTerms(latencySteps: 2, bytesSent: 1024, bytesReduced: 256))
    }

    func testRecursiveDoublingEightRanksTwoPerNode() {
        // distance 1 inside; distances 2 and 4 across, the node's two ranks sending the whole vector at once
        let (intra, inter) = blockLayoutTerms(.recursiveDoubling, bytes: 100, ranks: 8, ranksPerNode: 2)
        XCTAssertEqual(intra, CostTerms(latencySteps: 1, bytesSent: 100, bytesReduced: 100))
        XCTAssertEqual(inter, CostTerms(latencySteps: 2, bytesSent: 400, bytesReduced: 200))
    }

    func testRingAndOddShapesArePricedWhollyOnTheNetwork() {
        let ring = blockLayoutTerms(.ring, bytes: 1000, ranks: 4, ranksPerNode: 2)
        XCTAssertEqual(ring.intra, .zero)
        XCTAssertEqual(ring.inter, AllreduceAlgorithm.ring.terms(bytes: 1000, ranks: 4))
        let odd = blockLayoutTerms(.rabenseifner, bytes: 1000, ranks: 6, ranksPerNode: 3)
        XCTAssertEqual(odd.intra, .zero)
        XCTAssertEqual(odd.inter, AllreduceAlgorithm.rabenseifner.terms(bytes: 1000, ranks: 6))
    }

    /// A sweep folder: np=1 of lenet5, and np=2 over "1gbit" in fp32 and fp16, with the link's fit.
    private func sweepFolder(fit: Bool = true) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("link-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        func bench(np: Int, compress: String, wire: Int, exchangeUs: Double, stepMs: Double) -> TrainBenchRecord {
            var b = TrainBenchRecord()
            b.model = "lenet5"; b.worldSize = np; b.batch = 16; b.steps = 5; b.stepMs = stepMs; b.imagesPerSec = Double(16 * np) / stepMs * 1000
            b.computeMs = 0.5; b.optimizerMs = 0.05; b.dataMs = 0.01; b.waitMs = 0; b.allreduceMs = exchangeUs / 1000
            if np > 1 {
                var e = ExchangeBenchRecord()
                e.strategy = "flat"; e.medianUs = exchangeUs; e.bareAllreduceUs = 2000; e.bareAllreduceBytes = 246_836
                e.compress = compress; e.wireBytesPerStep = wire
                b.exchange = e
            }
            return b
        }
        var one = ScalePointRecord(mode: "link", strategy: "flat", np: 1, batchPerRank: 16, oversubscribed: false, status: "ok",
                                   bench: bench(np: 1, compress: "none", wire: 0, exchangeUs: 0, stepMs: 0.6))
        one.link = nil; one.compress = "none"
        var codec = ScalePointRecord(mode: "link", strategy: "flat", np: 1, batchPerRank: 16, oversubscribed: false, status: "ok",
                                     bench: bench(np: 1, compress: "fp16", wire: 0, exchangeUs: 0, stepMs: 0.8))
        codec.compress = "fp16"
        codec.bench?.allreduceMs = 0.2                   // at np=1 the exchange only encodes and decodes
        var fp32 = ScalePointRecord(mode: "link", strategy: "flat", np: 2, batchPerRank: 16, oversubscribed: false, status: "ok",
                                    bench: bench(np: 2, compress: "none", wire: 246_836, exchangeUs: 2200, stepMs: 2.9))
        fp32.link = "1gbit"; fp32.ranksPerHost = 1
        var fp16 = fp32
        fp16.bench = bench(np: 2, compress: "fp16", wire: 123_424, exchangeUs: 1200, stepMs: 1.9)
        try ([one, codec, fp32, fp16].map { $0.jsonText() }.joined(separator: "\n") + "\n")
            .write(toFile: folder + "/points.jsonl", atomically: true, encoding: .utf8)
        if fit {
            let f = RingFit(model: RingModel(alpha: 10e-6, beta: 8.5e-9), ranks: 2, samples: [], rmsRelativeResidual: 0.05,
                            algorithm: .mpiDefault)
            try CommFitFile.save(f, host: "test", to: LinkComparisons.fitPath(folder: folder, link: "1gbit"))
        }
        return folder
    }

    func testComparisonPredictsFromTheLinksFitAndNpOnesCompute() throws {
        let folder = try sweepFolder()
        let rows = LinkComparisons.build(sweep: try ScalingSweep.load(folder: folder), folder: folder) { XCTFail("skipped: \($0)") }
        XCTAssertEqual(rows.map(\.compress), ["none", "fp16"])
        let wires = [246_836, 123_424], measuredMs = [2.2, 1.2]
        for (i, row) in rows.enumerated() {
            let wire = wires[i], measured = measuredMs[i]
            // fp16 sends its 12 bytes of statistics in an fp32 allreduce of their own
            let gradients = i == 1 ? wire - 12 : wire
            let algorithm = OpenMPITunedAllreduce.chosen(bytes: gradients, ranks: 2)
            XCTAssertEqual(row.algorithm, algorithm)
            let t = try XCTUnwrap(algorithm.terms(bytes: Double(gradients), ranks: 2))
            var exchangeMs: Double = 1000 * (t.latencySteps * 10e-6 + t.bytesSent * 8.5e-9)
            if i == 1 {   // fp16: the statistics' allreduce, the conversions measured at np=1, and as much per element reduced
                let st = try XCTUnwrap(OpenMPITunedAllreduce.chosen(bytes: 12, ranks: 2).terms(bytes: 12, ranks: 2))
                exchangeMs += 1000 * (st.latencySteps * 10e-6 + st.bytesSent * 8.5e-9)
                exchangeMs += 0.2 * (1 + t.bytesReduced / 2 / Double(gradients / 2))
                XCTAssertEqual(row.codecMs, 0.2, accuracy: 1e-12)
            }
            XCTAssertEqual(row.predictedExchangeMs, exchangeMs, accuracy: 1e-9)
            XCTAssertEqual(row.predictedStepMs, 0.56 + exchangeMs, accuracy: 1e-9, "np=1's compute + optimizer + data, then the exchange")
            XCTAssertEqual(row.measuredExchangeMs, measured, accuracy: 1e-12)
            XCTAssertEqual(row.exchangeError, exchangeMs / measured - 1, accuracy: 1e-12)
            XCTAssertEqual(row.fittedGigabits, 8 / 8.5e-9 / 1e9, accuracy: 1e-9)
        }
        XCTAssertEqual(rows[0].bareAllreduceMs, 2.0, accuracy: 1e-12)
        XCTAssertTrue(rows[1].bareAllreduceMs.isNaN, "the bare allreduce is fp32: not the compressed run's wire format")
    }

    /// The sweep goes on when a link's fit fails, so its report does: that link's points are left
    /// out and the link is named once.
    func testLinkWithoutItsFitIsLeftOutAndNamed() throws {
        let folder = try sweepFolder(fit: false)
        var skipped: [String] = []
        let rows = LinkComparisons.build(sweep: try ScalingSweep.load(folder: folder), folder: folder) { skipped.append($0) }
        XCTAssertTrue(rows.isEmpty)
        XCTAssertEqual(skipped.count, 1, "\(skipped)")
        XCTAssertTrue(skipped.first?.contains("comm-fit-1gbit.json") == true && skipped.first?.contains("link 1gbit") == true, "\(skipped)")
    }
}
