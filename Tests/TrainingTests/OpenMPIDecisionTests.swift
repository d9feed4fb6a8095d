// Open MPI 4.1.4 coll/tuned's fixed allreduce rules (coll_tuned_decision_fixed.c), checked at both
// sides of the thresholds of every communicator-size band, the fall-backs of the algorithms it
// names, and the --algorithm names: an unknown one is an error listing the valid ones.

import Core
import Foundation
import Training
import XCTest

final class OpenMPIDecisionTests: XCTestCase {
    func testFixedRulesAtTheirThresholds() {
        // (bytes, ranks) -> coll_tuned_allreduce_algorithm number, read off the v4.1.4 source
        let table: [(Int, Int, Int)] = [
            (4, 2, 4), (8, 2, 3), (4095, 2, 3), (4096, 3, 4), (8191, 2, 4), (8192, 2, 3), (16383, 2, 3), (16384, 2, 4),
            (65535, 2, 4), (65536, 2, 5), (262143, 2, 5), (262144, 3, 6),
            (8, 4, 4), (16, 4, 3), (8191, 7, 3), (8192, 4, 6),
            (8191, 8, 3), (8192, 15, 6),
            (63, 16, 5), (64, 16, 3), (4095, 31, 3), (4096, 16, 6),
            (127, 32, 5), (128, 63, 6),
            (262143, 64, 3), (262144, 127, 6),
            (131071, 128, 2), (131072, 128, 3), (262143, 255, 3), (262144, 128, 6),
            (4095, 256, 2), (4096, 511, 6),
            (2047, 512, 2), (2048, 1024, 3), (16383, 2047, 3), (16384, 1024, 6),
            (2047, 2048, 2), (2048, 2048, 5), (4096, 4095, 3), (16384, 2048, 6),
            (2047, 4096, 2), (2048, 4096, 5), (16384, 8192, 3), (32767, 4096, 3), (32768, 4096, 6),
        ]
        for (bytes, ranks, number) in table {
            XCTAssertEqual(OpenMPITunedAllreduce.algorithmNumber(bytes: bytes, ranks: ranks), number, "\(bytes) B at \(ranks) ranks")
        }
    }

    func testNumbersNameAlgorithmsAndForceThem() {
        XCTAssertEqual((1...6).map { OpenMPITunedAllreduce.algorithm(number: $0) },
                       [.basicLinear, .reduceBroadcast, .recursiveDoubling, .ring, .ring, .rabenseifner])
        XCTAssertNil(OpenMPITunedAllreduce.algorithm(number: 0))
        XCTAssertNil(OpenMPITunedAllreduce.algorithm(number: 7))
        for a in AllreduceAlgorithm.allCases where a != .twoLevel {
            let number = OpenMPITunedAllreduce.number(forcing: a)
            XCTAssertEqual(number.flatMap(OpenMPITunedAllreduce.algorithm(number:)), a)
        }
        XCTAssertNil(OpenMPITunedAllreduce.number(forcing: .twoLevel))
    }

    func testFallBacksAndTheChoiceForLeNet() {
        // 4 bytes at 2 ranks: ring asked, but 1 Float < 2 ranks runs recursive doubling
        XCTAssertEqual(OpenMPITunedAllreduce.chosen(bytes: 4, ranks: 2), .recursiveDoubling)
        XCTAssertEqual(OpenMPITunedAllreduce.chosen(bytes: 65536, ranks: 2), .ring)          // 5, segment size 0
        // Rabenseifner with fewer Floats than p' runs basic linear
        XCTAssertEqual(OpenMPITunedAllreduce.effective(.rabenseifner, bytes: 16, ranks: 8), .basicLinear)
        XCTAssertEqual(OpenMPITunedAllreduce.effective(.rabenseifner, bytes: 32, ranks: 8), .rabenseifner)
        // LeNet-5's 246,824 gradient bytes
        XCTAssertEqual(AllreduceChoice.mpiDefault.algorithm(bytes: 246_824, ranks: 8), .rabenseifner)
        XCTAssertEqual(AllreduceChoice.mpiDefault.algorithm(bytes: 246_824, ranks: 128), .recursiveDoubling)
        XCTAssertEqual(AllreduceChoice.mpiDefault.algorithm(bytes: 246_824, ranks: 1024), .rabenseifner)
        XCTAssertEqual(AllreduceChoice.forced(.ring).algorithm(bytes: 246_824, ranks: 1024), .ring)
        XCTAssertEqual(AllreduceChoice.forced(.twoLevel).algorithm(bytes: 4, ranks: 1024), .twoLevel)
    }

    func testAlgorithmNames() throws {
        XCTAssertEqual(try AllreduceChoice(parsing: "default"), .mpiDefault)
        XCTAssertEqual(try AllreduceChoice(parsing: "recursive-doubling"), .forced(.recursiveDoubling))
        XCTAssertEqual(try AllreduceChoice(parsing: "two-level"), .forced(.twoLevel))
        XCTAssertThrowsError(try AllreduceChoice(parsing: "tree")) { error in
            let message = (error as? InputError)?.message ?? ""
            XCTAssertTrue(message.hasPrefix("--algorithm: unknown allreduce algorithm 'tree'"), message)
            XCTAssertTrue(message.contains("default, ring, recursive-doubling, rabenseifner, reduce-bcast, basic-linear, two-level"), message)
        }
    }

    func testFitFromAnotherAlgorithmOrWorldSizeIsNamed() throws {
        let path = NSTemporaryDirectory() + "comm-fit-algo-\(getpid())-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let samples = [AllreduceSample(bytes: 4, seconds: 2e-6), AllreduceSample(bytes: 1 << 20, seconds: 1e-3)]
        try CommFitFile.save(try RingFit(samples: samples, ranks: 2, algorithm: .forced(.rabenseifner)), host: "h", to: path)
        let fit = try CommFitFile.load(path).fit
        XCTAssertEqual(fit.algorithm, .forced(.rabenseifner))
        XCTAssertEqual(CommFitFile.provenance(of: fit, appliedTo: .forced(.rabenseifner), ranks: [2]), "")
        let other = CommFitFile.provenance(of: fit, appliedTo: .mpiDefault, ranks: [8, 1024])
        XCTAssertTrue(other.contains("measured with rabenseifner at world size 2, applied to default at 8...1024 ranks"), other)
        XCTAssertFalse(CommFitFile.provenance(of: fit, appliedTo: .forced(.rabenseifner), ranks: [4]).isEmpty)
        let summary = gradientExchange(parameters: 1000, world: 4, network: .measured(fit), choice: .mpiDefault, fit: fit, source: "fit")
        XCTAssertTrue(summary.source.contains("measured with rabenseifner at world size 2, applied to default at 4 ranks"), summary.source)

        // an older file, without the key, was a ring fit; an unknown or unmeasurable algorithm is refused
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"algorithm\":\"rabenseifner\",", with: "")
            .replacingOccurrences(of: "\"algorithm\": \"rabenseifner\",", with: "")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertFalse(text.contains("algorithm"), text)
        XCTAssertEqual(try CommFitFile.load(path).fit.algorithm, .forced(.ring))
        for bad in ["tree", "two-level"] {
            try text.replacingOccurrences(of: "{", with: "{\"algorithm\": \"\(bad)\", ", options: [], range: text.range(of: "{"))
                .write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try CommFitFile.load(path)) { error in
                let message = (error as? InputError)?.message ?? "\(error)"
                XCTAssertTrue(message.hasPrefix("\(path): key algorithm"), message)
            }
        }
    }
}
