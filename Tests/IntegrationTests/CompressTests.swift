// train.compress end to end under mpirun (the MPI user-defined 16-bit sum): a short np=2 run with
// fp16 (flat, with error feedback) and bf16 (bucketed) trains with every rank holding the same
// loss; `dtrain bench train --json` records half the wire bytes per step; an unknown value and
// compress with exact exit 2 with one line naming the key, plainly and at np=2.

import Core
import Foundation
import XCTest

final class CompressTests: XCTestCase {
    private func smallRun(_ extra: [String: Any]) throws -> [String] {
        ["--config", lenetConfig]
            + sets(["data.path": try SmallMNIST.folder(), "data.validation": SmallMNIST.validation,
                    "train.epochs": 1, "train.max_steps": 30, "output": try makeTempFolder("compress") + "/o"]
                .merging(extra) { $1 })
    }

    func testCompressedRunsTrainAtTwoRanks() throws {
        for extra: [String: Any] in [["train.compress": "fp16", "train.compress_feedback": true],
                                     ["train.compress": "bf16", "train.allreduce": "bucketed"]] {
            let r = try dtrain(["train"] + (try smallRun(extra)), ranks: 2)
            assertSucceeded(r, "train with \(extra)")
            XCTAssertTrue(r.stdout.contains("gradients as \(extra["train.compress"]!)"), "the run log names the wire format\n\(r)")
            XCTAssertTrue(r.stdout.contains("epoch 1/1"), "trained an epoch\n\(r)")
        }
    }

    func testBenchRecordsHalfTheWireBytes() throws {
        var bytes: [String: Int] = [:]
        for compress in ["none", "fp16"] {
            let args = ["bench", "train", "--config", lenetConfig, "--steps", "4", "--warmup", "1", "--json"]
                + sets(["data.path": try SmallMNIST.folder(), "data.validation": SmallMNIST.validation,
                        "train.batch_size": 16, "train.compress": compress])
            let r = try dtrain(args, ranks: 2)
            assertSucceeded(r, "bench train with compress \(compress)")
            let line = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let exchange = try XCTUnwrap(json["exchange"] as? [String: Any], "no exchange in \(json)")
            XCTAssertEqual(exchange["compress"] as? String, compress)
            bytes[compress] = exchange["wire_bytes_per_step"] as? Int
        }
        XCTAssertEqual(bytes["none"], (61_706 + 3) * 4, "LeNet-5's p + 3 floats")
        XCTAssertEqual(bytes["fp16"], 61_706 * 2 + 3 * 4, "p halves, the 3 statistics stay fp32")
    }

    func testBadCompressSettingsExitTwo() throws {
        let out = try makeTempFolder("bad")
        for (what, set, names) in [("unknown value", ["train.compress=fp8"], ["train.compress", "fp8", "none, fp16 or bf16"]),
                                   ("compress with exact", ["train.compress=bf16", "train.allreduce=exact"], ["train.compress", "exact"])] {
            for ranks in [nil, 2] as [Int?] {
                let r = try dtrain(["train", "--config", lenetConfig, "--set", "output=\(out)/o"] + set.flatMap { ["--set", $0] },
                                   ranks: ranks, timeout: 60)
                XCTAssertEqual(r.status, 2, "\(what) at \(ranks ?? 1) ranks: expected exit 2\n\(r)")
                for name in names { XCTAssertTrue(r.stderr.contains(name), "\(what): stderr does not name '\(name)'\n\(r)") }
                if ranks == nil { XCTAssertEqual(r.stderrLines.count, 1, "\(what): one stderr line\n\(r)") }
            }
        }
    }
}
