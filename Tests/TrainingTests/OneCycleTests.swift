// The one-cycle schedule (train.schedule: onecycle) against PyTorch's OneCycleLR: hand-computed
// rates and momenta of a 10-step cycle, the phase edges, and — where PyTorch is installed — every
// step of several cycles against torch.optim.lr_scheduler.OneCycleLR (lr and SGD momentum).

import Core
import Foundation
import TestSupport
import Training
import XCTest

final class OneCycleTests: XCTestCase {
    private func rate(_ c: OneCycle, base: Double = 1, epochs: Int = 1, stepsPerEpoch: Int = 10) -> LearningRate {
        LearningRate(base: base, schedule: .onecycle(c), warmupEpochs: 0, epochs: epochs, stepsPerEpoch: stepsPerEpoch)
    }

    func testTenStepCycleByHand() {
        var c = OneCycle()
        c.cycleMomentum = true
        let r = rate(c)
        // T = 10, pct_start 0.3: the warm-up ends at step 0.3 x 10 - 1 = 2, the anneal at 9
        XCTAssertEqual(r.at(step: 0), 0.04, accuracy: 1e-12)                      // 1 / div_factor 25
        // step 1: pct 1/2, cos anneal 0.04 -> 1: 1 + (0.04 - 1) / 2 x (cos(pi/2) + 1) = 0.52
        XCTAssertEqual(r.at(step: 1), 0.52, accuracy: 1e-12)
        XCTAssertEqual(r.at(step: 2), 1, accuracy: 1e-12)
        // step 9: 0.04 / final_div_factor 1e4 = 4e-6
        XCTAssertEqual(r.at(step: 9), 4e-6, accuracy: 1e-15)
        // step 5: pct (5 - 2) / (9 - 2) = 3/7 of the anneal from 1 down to 4e-6
        let pct = 3.0 / 7
        XCTAssertEqual(r.at(step: 5), 4e-6 + (1 - 4e-6) / 2 * (cos(Double.pi * pct) + 1), accuracy: 1e-12)
        // momentum: 0.95 -> 0.85 over the warm-up, back to 0.95 at the end
        XCTAssertEqual(r.momentum(step: 0)!, 0.95, accuracy: 1e-12)
        XCTAssertEqual(r.momentum(step: 1)!, 0.90, accuracy: 1e-12)
        XCTAssertEqual(r.momentum(step: 2)!, 0.85, accuracy: 1e-12)
        XCTAssertEqual(r.momentum(step: 9)!, 0.95, accuracy: 1e-12)
        // without cycle_momentum the optimiser keeps its own
        XCTAssertNil(rate(OneCycle()).momentum(step: 3))
        XCTAssertNil(LearningRate(base: 1, schedule: .cosine, warmupEpochs: 0, epochs: 1, stepsPerEpoch: 10).momentum(step: 3))
    }

    func testCycleSpansEveryEpochAndScalesWithTheBase() {
        var c = OneCycle()
        c.pctStart = 0.25; c.divFactor = 10; c.finalDivFactor = 100
        let r = rate(c, base: 0.4, epochs: 4, stepsPerEpoch: 5)        // T = 20, peak at step 4
        XCTAssertEqual(r.at(step: 0), 0.04, accuracy: 1e-12)
        XCTAssertEqual(r.at(step: 4), 0.4, accuracy: 1e-12)
        XCTAssertEqual(r.at(step: 19), 0.0004, accuracy: 1e-12)
        let rates = (0..<20).map { r.at(step: $0) }
        XCTAssertEqual(rates.prefix(5).sorted(), Array(rates.prefix(5)), "rising through the warm-up")
        XCTAssertEqual(rates.suffix(16).sorted(by: >), Array(rates.suffix(16)), "falling through the anneal")
    }

    func testAgainstTorchOneCycleLR() throws {
        guard runPython(["-c", "import torch"]).status == 0 else {
            throw XCTSkip("PyTorch is not installed (python3 -c 'import torch' fails; apt-get install python3-torch)")
        }
        let script = """
            import json, sys, torch
            out = []
            for c in json.loads(sys.argv[1]):
                p = torch.zeros(1, requires_grad=True)
                opt = torch.optim.SGD([p], lr=c["lr"], momentum=0.9)
                s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=c["lr"], total_steps=c["total"], pct_start=c["pct"],
                        div_factor=c["div"], final_div_factor=c["final"], cycle_momentum=True,
                        base_momentum=0.85, max_momentum=0.95)
                lrs, moms = [], []
                for _ in range(c["total"]):
                    lrs.append(opt.param_groups[0]["lr"]); moms.append(opt.param_groups[0]["momentum"])
                    opt.step(); s.step()
                out.append({"lr": lrs, "momentum": moms})
            print(json.dumps(out))
            """
        let cases: [(lr: Double, epochs: Int, perEpoch: Int, pct: Double, div: Double, final: Double)] = [
            (0.1, 3, 17, 0.3, 25, 1e4), (0.05, 5, 7, 0.1, 10, 100), (1.0, 2, 9, 0.45, 25, 1e4), (0.3, 1, 40, 0.02, 5, 1e3)]
        let json = cases.map { "{\"lr\": \($0.lr), \"total\": \($0.epochs * $0.perEpoch), \"pct\": \($0.pct), \"div\": \($0.div), \"final\": \($0.final)}" }
        let run = runPython(["-c", script, "[" + json.joined(separator: ", ") + "]"])
        XCTAssertEqual(run.status, 0, "the torch script failed")
        let results = try XCTUnwrap(try JSONSerialization.jsonObject(with: run.output) as? [[String: [Double]]])
        XCTAssertEqual(results.count, cases.count)
        for (c, r) in zip(cases, results) {
            var o = OneCycle()
            o.pctStart = c.pct; o.divFactor = c.div; o.finalDivFactor = c.final; o.cycleMomentum = true
            let schedule = rate(o, base: c.lr, epochs: c.epochs, stepsPerEpoch: c.perEpoch)
            let lrs = r["lr"] ?? [], moms = r["momentum"] ?? []
            XCTAssertEqual(lrs.count, c.epochs * c.perEpoch)
            for (step, (lr, mom)) in zip(lrs, moms).enumerated() {
                XCTAssertEqual(schedule.at(step: step), lr, accuracy: 1e-12 * max(1, lr), "case \(c) step \(step): lr")
                XCTAssertEqual(schedule.momentum(step: step)!, mom, accuracy: 1e-12, "case \(c) step \(step): momentum")
            }
        }
    }
}
