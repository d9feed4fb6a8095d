// Where PyTorch is installed (as TorchCrossCheckTests finds it), Adam and AdamW against
// torch.optim.Adam / AdamW over 6 steps of seeded gradients (float32 on both sides), and softmax
// cross-entropy with label smoothing against F.cross_entropy(label_smoothing=) — the mean loss and
// its gradient. Skipped otherwise.

import Core
import Foundation
import NN
import TestSupport
import XCTest

final class TorchOptimizerCrossCheckTests: XCTestCase {
    private static let script = """
        import json, sys, torch
        import torch.nn.functional as F
        c = json.load(open(sys.argv[1]))
        out = {"optimizers": []}
        for o in c["optimizers"]:
            p = torch.tensor(c["p0"], dtype=torch.float32, requires_grad=True)
            cls = torch.optim.AdamW if o["kind"] == "adamw" else torch.optim.Adam
            opt = cls([p], lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"], weight_decay=o["wd"])
            for g in c["grads"]:
                p.grad = torch.tensor(g, dtype=torch.float32)
                opt.step()
            out["optimizers"].append(p.detach().tolist())
        z = torch.tensor(c["z"], dtype=torch.float64).reshape(c["n"], c["k"]).requires_grad_(True)
        loss = F.cross_entropy(z, torch.tensor(c["labels"]), label_smoothing=c["eps"])
        loss.backward()
        out["loss"] = loss.item(); out["dz"] = z.grad.flatten().tolist()
        print(json.dumps(out))
        """

    private func doubles(_ value: Any?) -> [Double] {
        (value as? [Any] ?? []).compactMap { ($0 as? Double) ?? ($0 as? Int).map(Double.init) ?? ($0 as? NSNumber)?.doubleValue }
    }

    func testAgainstTorchOptimAndCrossEntropy() throws {
        guard runPython(["-c", "import torch"]).status == 0 else {
            throw XCTSkip("PyTorch is not installed (python3 -c 'import torch' fails; apt-get install python3-torch)")
        }
        let count = 40, steps = 6
        let p0 = randomArray(count, seed: 31)
        let grads = (0..<steps).map { randomArray(count, seed: 40 + UInt64($0)) }
        let settings: [(kind: String, lr: Double, betas: [Double], eps: Double, wd: Double)] = [
            ("adam", 0.01, [0.9, 0.999], 1e-8, 0), ("adam", 0.003, [0.8, 0.99], 1e-6, 0.05),
            ("adamw", 0.01, [0.9, 0.999], 1e-8, 0.01), ("adamw", 0.1, [0.85, 0.95], 1e-8, 0.3)]
        let n = 4, k = 7
        let z = randomArray(n * k, seed: 77).map { $0 * 3 }
        let labels: [Int32] = [0, 6, 3, 3]
        let smoothing = 0.15
        let input: [String: Any] = [
            "p0": p0.map(Double.init), "grads": grads.map { $0.map(Double.init) },
            "optimizers": settings.map { ["kind": $0.kind, "lr": $0.lr, "betas": $0.betas, "eps": $0.eps, "wd": $0.wd] as [String: Any] },
            "z": z.map(Double.init), "n": n, "k": k, "labels": labels.map(Int.init), "eps": smoothing]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-torch-optim-\(getpid()).json")
        try JSONSerialization.data(withJSONObject: input).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let run = runPython(["-c", Self.script, url.path])
        XCTAssertEqual(run.status, 0, "the torch script failed")
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: run.output) as? [String: Any])
        let torchParams = (result["optimizers"] as? [Any] ?? []).map(doubles)
        XCTAssertEqual(torchParams.count, settings.count)

        for (s, want) in zip(settings, torchParams) {
            let optimizer = makeOptimizer(OptimizerSettings(kind: s.kind == "adamw" ? .adamw : .adam, weightDecay: Float(s.wd),
                                                            beta1: s.betas[0], beta2: s.betas[1], eps: Float(s.eps)),
                                          parameterCount: count)
            let p = buffer(p0)
            for g in grads {
                g.withUnsafeBufferPointer {
                    optimizer.step(parameters: p.pointer, gradients: $0.baseAddress!, count: count, lr: Float(s.lr), gradScale: 1)
                }
            }
            let got = p.toArray()
            XCTAssertEqual(got.count, want.count)
            for i in 0..<min(got.count, want.count) where !(abs(Double(got[i]) - want[i]) <= 1e-5 * max(1, abs(want[i]))) {
                XCTFail("\(s.kind) lr \(s.lr) wd \(s.wd) param \(i): dtrain \(got[i]) vs torch \(want[i])")
                break
            }
        }

        var gradient = [Float](repeating: 0, count: n * k)
        let stats = z.withUnsafeBufferPointer { zp in
            labels.withUnsafeBufferPointer { lp in
                gradient.withUnsafeMutableBufferPointer {
                    LossFunction.softmaxCrossEntropy.evaluate(logits: zp.baseAddress!, labels: lp.baseAddress!, batch: n, classes: k,
                                                              gradient: $0.baseAddress!, scale: 1 / Float(n),
                                                              labelSmoothing: Float(smoothing))
                }
            }
        }
        let torchLoss = try XCTUnwrap(result["loss"] as? Double)
        XCTAssertEqual(stats.lossSum / Double(n), torchLoss, accuracy: 1e-5 * max(1, torchLoss))
        let torchGradient = doubles(result["dz"])
        XCTAssertEqual(torchGradient.count, gradient.count)
        for i in 0..<min(gradient.count, torchGradient.count) {
            XCTAssertEqual(Double(gradient[i]), torchGradient[i], accuracy: 1e-6, "dz[\(i)]")
        }
    }
}
