// Issue 16's bad optimisation input end to end: an unknown optimiser or schedule, an Adam beta
// outside [0, 1), a one-cycle warm-up as long as the run, label smoothing outside [0, 1), and a
// checkpoint resumed with the other optimiser family each exit 2 — plainly and under mpirun -np 2
// — with one line naming the key and the values it allows; then an Adam run resumes and finishes.

import Core
import Foundation
import XCTest
import Training

final class OptimizerBadInputTests: XCTestCase {
    private func expectExit2(_ what: String, _ args: [String], naming names: [String],
                             file: StaticString = #filePath, line: UInt = #line) throws {
        for ranks in [nil, 2] as [Int?] {
            let how = ranks == nil ? "plain" : "mpirun -np 2"
            let r = try dtrain(["train"] + args, ranks: ranks, timeout: 60)
            XCTAssertFalse(r.timedOut, "\(what) (\(how)): hung\n\(r)", file: file, line: line)
            XCTAssertEqual(r.status, 2, "\(what) (\(how)): expected exit 2\n\(r)", file: file, line: line)
            for name in names where !r.stderr.contains(name) {
                XCTFail("\(what) (\(how)): stderr does not name '\(name)'\n\(r)", file: file, line: line)
            }
            if ranks == nil {
                XCTAssertEqual(r.stderrLines.count, 1, "\(what): expected ONE stderr line\n\(r)", file: file, line: line)
            }
        }
    }

    func testBadOptimisationValues() throws {
        let out = try makeTempFolder("bad-optim")
        let cases: [(String, [String], [String])] = [
            ("unknown optimiser", ["train.optimizer=lion"], ["train.optimizer", "sgd | adam | adamw"]),
            ("unknown schedule", ["train.schedule=triangle"], ["train.schedule", "constant | cosine | onecycle"]),
            ("beta of 1", ["train.optimizer=adam", "train.betas=[0.9, 1]"], ["train.betas[1]", "[0, 1)"]),
            ("warm-up as long as the run", ["train.schedule={onecycle: {pct_start: 1}}"],
             ["train.schedule.onecycle.pct_start", "[0, 1)"]),
            ("onecycle with warmup_epochs", ["train.schedule=onecycle", "train.warmup_epochs=6"], ["train.warmup_epochs", "pct_start"]),
            ("label smoothing of 1", ["train.label_smoothing=1"], ["train.label_smoothing", "[0, 1)"]),
        ]
        for (what, settings, names) in cases {
            try expectExit2(what, ["--config", lenetConfig] + settings.flatMap { ["--set", $0] } + ["--set", "output=\(out)/o"],
                            naming: ["configs/lenet5.yaml"] + names)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/o/steps.csv"), "a refused run wrote run files")
    }

    func testResumeAcrossOptimiserFamiliesThenAdamResumes() throws {
        let data = try SmallMNIST.folder()
        let tmp = try makeTempFolder("optim-resume")
        let base = ["train", "--config", lenetConfig]
            + sets(["train.epochs": 1, "data.path": data, "data.validation": SmallMNIST.validation, "train.batch_size": 16])
        assertSucceeded(try dtrain(base + sets(["train.max_steps": 4, "output": tmp + "/sgd"])), "SGD run")
        assertSucceeded(try dtrain(base + sets(["train.max_steps": 4, "output": tmp + "/adam", "train.optimizer": "adam",
                                                "train.lr": 0.001])), "Adam run")
        try expectExit2("SGD checkpoint with adam", ["--resume", tmp + "/sgd", "--set", "train.optimizer=adam"],
                        naming: [tmp + "/sgd/latest.safetensors", "train.optimizer", "sgd | adam | adamw"])
        try expectExit2("Adam checkpoint with sgd", ["--resume", tmp + "/adam", "--set", "train.optimizer=sgd"],
                        naming: [tmp + "/adam/latest.safetensors", "train.optimizer: adam or adamw"])
        let r = try dtrain(["train", "--resume", tmp + "/adam", "--set", "train.max_steps=8"], ranks: 2)
        assertSucceeded(r, "Adam resume at np=2")
        XCTAssertTrue(r.stdout.contains("adam betas (0.9, 0.999)"), r.stdout)
        XCTAssertEqual(try SafeTensorsFile.open(path: tmp + "/adam/latest.safetensors").metadata["optimizer_step"], "8")
    }
}
