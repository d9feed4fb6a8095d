// A dtrain checkpoint loaded into PyTorch (launch/torch_checkpoint.py) gives the same network:
// a small graph model (template, branch, residual with and without a shortcut, BatchNorm 2d and
// 1d, grouped conv, a dotted block name, LRN, ceil-mode max pool, padded average pool, dropout) is
// trained for 200 steps on real MNIST with the dtrain binary; then
//   (a) `dtrain eval --json` and the script's test accuracy agree within 0.05 points,
//   (b) dtrain's logits on the first 64 test images, computed here in-process through the code
//       path `dtrain eval` uses (ResumePoint, RunConfig.fromCheckpoint, NetworkPlan, Checkpoint,
//       BatchLoader with the config's normalisation), equal the script's within 1e-4,
//   (c) the script's load_state_dict is strict: a checkpoint missing one tensor, or holding one
//       the model does not have, makes it exit non-zero naming the tensor.
// Skipped where the interpreter ($DTRAIN_PYTHON, else /usr/bin/python3, else python3 on PATH)
// cannot import torch and yaml.

import Core
import Foundation
import XCTest
import Training
import NN
import Datasets
import Collective

final class TorchCheckpointTests: XCTestCase {
    private static let script = packageRoot + "/launch/torch_checkpoint.py"

    /// $DTRAIN_PYTHON when set, else Debian's interpreter (python3-torch installs there), else
    /// python3 on PATH.
    private static var python: String? {
        if let chosen = ProcessInfo.processInfo.environment["DTRAIN_PYTHON"], !chosen.isEmpty { return chosen }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") { return "/usr/bin/python3" }
        return findInPath("python3")
    }

    private func requireTorch() throws -> String {
        guard let python = Self.python else { throw XCTSkip("no python3 (PyTorch cross-check skipped)") }
        let r = try runProcess(python, ["-c", "import torch, yaml"], timeout: 120)
        guard r.status == 0, !r.timedOut else {
            throw XCTSkip("PyTorch or PyYAML is not installed (\(python) -c 'import torch, yaml' fails; apt-get install python3-torch python3-yaml)")
        }
        return python
    }

    private static let config = """
        model:
          name: torchmix
          input: [1, 28, 28]
          templates:
            unit:
              params: [c]
              block:
                residual:
                  body: [{conv: {out: $c, kernel: 3, pad: 1, bias: false}}, batchnorm, relu,
                         {conv: {out: $c, kernel: 3, pad: 1, bias: false}}, batchnorm]
          layers:
            - conv: {name: stem, out: 8, kernel: 3, pad: 1, bias: false}
            - batchnorm
            - relu
            - maxpool: {kernel: 2}
            - branch:
                name: mix1
                paths:
                  - [{conv: {out: 4, kernel: 1}}, relu]
                  - [{conv: {out: 4, kernel: 1}}, tanh, {conv: {out: 8, kernel: 3, pad: 1, groups: 2}}, relu]
                  - [{maxpool: {kernel: 3, stride: 1, pad: 1}}, {conv: {out: 4, kernel: 1}}, sigmoid]
            - unit: {name: layer1.0, c: 16}
            - relu
            - residual:
                name: res2
                body: [{conv: {out: 24, kernel: 3, stride: 2, pad: 1, bias: false}}, batchnorm, relu,
                       {conv: {out: 24, kernel: 3, pad: 1, groups: 2, bias: false}}, batchnorm]
                shortcut: [{conv: {out: 24, kernel: 1, stride: 2, bias: false}}, batchnorm]
            - relu
            - lrn: {size: 3, alpha: 0.001, beta: 0.75, k: 1}
            - maxpool: {kernel: 2, ceil: true}
            - avgpool: {kernel: 3, stride: 1, pad: 1}
            - globalavgpool
            - flatten
            - dropout: {p: 0.2}
            - linear: {out: 32}
            - batchnorm
            - leakyrelu: {slope: 0.1}
            - linear: {out: 10}
        train: {epochs: 1, batch_size: 32, lr: 0.02, max_steps: 200}
        seed: 7

        """

    /// Trains the model (200 steps) and returns the run folder.
    private func trainModel() throws -> String {
        let folder = try makeTempFolder("torch")
        let configPath = folder + "/config.yaml"
        try Self.config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let run = folder + "/run"
        let r = try dtrain(["train", "--config", configPath] + sets(["data.path": mnistFolder, "data.validation": 0, "output": run]),
                           timeout: 300)
        assertSucceeded(r, "dtrain train")
        guard r.status == 0 else { throw SupportError("training failed") }
        return run
    }

    private func runScript(_ python: String, _ checkpoint: String, logits: Int) throws -> RunResult {
        try runProcess(python, [Self.script, checkpoint, "--data", mnistFolder, "--logits", "\(logits)"],
                       env: ["OMP_NUM_THREADS": "1"], timeout: 300)
    }

    private func jsonObject(_ text: String, _ what: String) throws -> [String: Any] {
        let line = text.split(separator: "\n").last.map(String.init) ?? ""
        guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw SupportError("\(what): not a JSON object: \(text)")
        }
        return o
    }

    /// dtrain's logits on the first `n` test images, as `dtrain eval` computes them.
    private func dtrainLogits(_ checkpoint: String, count n: Int) throws -> (classes: Int, values: [Float]) {
        let comm = LocalCommunicator()
        let point = try ResumePoint.read(checkpoint, comm: comm)
        var config = try RunConfig.fromCheckpoint(point, overrides: [])
        config.data.path = mnistFolder
        let network = Network(plan: try NetworkPlan(config.model))
        let file = try Checkpoint.open(path: point.path, network: network, optimizer: nil)
        try Checkpoint.load(file, into: network, optimizer: nil)
        let test = try MNIST.load(directory: config.data.path, split: .test)
        let loader = BatchLoader(set: test, capacity: n, normalization: config.data.normalize, positiveClass: config.data.positiveClass)
        let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        defer { scratch.deallocate() }
        try loader.load(range: 0..<n, scratch: scratch)
        let k = network.outputShape.count
        let logits = network.forward(loader.x.pointer, batch: n, context: .inference)
        return (k, Array(UnsafeBufferPointer(start: logits, count: n * k)))
    }

    func testCheckpointMatchesPyTorch() throws {
        let python = try requireTorch()
        let run = try trainModel()
        let checkpoint = run + "/latest.safetensors"

        // (a) test accuracy
        let eval = try dtrain(["eval", "--checkpoint", checkpoint, "--data", mnistFolder, "--json"], timeout: 300)
        assertSucceeded(eval, "dtrain eval")
        let ours = try jsonObject(eval.stdout, "dtrain eval --json")
        let n = 64
        let torch = try runScript(python, checkpoint, logits: n)
        XCTAssertEqual(torch.status, 0, "torch_checkpoint.py failed\n\(torch)")
        guard torch.status == 0 else { return }
        let theirs = try jsonObject(torch.stdout, "torch_checkpoint.py")
        let a = try XCTUnwrap(number(ours, "test_accuracy")), b = try XCTUnwrap(number(theirs, "test_accuracy"))
        XCTAssertEqual(number(ours, "count"), 10000)
        XCTAssertEqual(number(theirs, "count"), 10000)
        XCTAssertGreaterThan(a, 50, "the model should have learnt something in 200 steps")
        XCTAssertLessThanOrEqual(abs(a - b), 0.05, "test accuracy: dtrain \(a)% vs PyTorch \(b)%")

        // (b) logits on the first 64 test images
        let (k, mine) = try dtrainLogits(checkpoint, count: n)
        let rows = try XCTUnwrap(theirs["logits"] as? [[NSNumber]], "the script printed no logits")
        XCTAssertEqual(rows.count, n)
        var worst = 0.0, at = (0, 0)
        for (i, row) in rows.enumerated() {
            XCTAssertEqual(row.count, k, "logits row \(i)")
            for (j, v) in row.enumerated() where j < k {
                let d = abs(Double(mine[i * k + j]) - v.doubleValue)
                if !(d <= worst) { worst = d.isNaN ? .infinity : d; at = (i, j) }
            }
        }
        XCTAssertLessThanOrEqual(worst, 1e-4, "logits: max |dtrain - PyTorch| \(worst) at image \(at.0), class \(at.1)")
        print("torch checkpoint cross-check: accuracy dtrain \(a)% PyTorch \(b)% (|diff| \(abs(a - b))), "
              + "max logit |diff| \(worst) over \(n)x\(k)")

        // (c) strict loading: one tensor missing, one extra
        let source = try SafeTensorsFile.open(path: checkpoint)
        func rewrite(_ path: String, dropping: String?, adding: String?) throws {
            var writer = SafeTensorsWriter(metadata: source.metadata)
            for name in source.names where name != dropping {
                let e = source.entries[name]!
                if e.dtype == .i64 {
                    writer.add(name: name, shape: e.shape, int64s: try source.int64s(name))
                } else {
                    let values = try source.floats(name)
                    values.withUnsafeBufferPointer { writer.add(name: name, shape: e.shape, data: $0) }
                }
            }
            if let adding { [Float](repeating: 0, count: 3).withUnsafeBufferPointer { writer.add(name: adding, shape: [3], data: $0) } }
            try writer.write(to: path)
        }
        let missing = run + "/missing.safetensors", extra = run + "/extra.safetensors"
        try rewrite(missing, dropping: "res2.shortcut.bn1.running_var", adding: nil)
        try rewrite(extra, dropping: nil, adding: "mix1.branch4.conv1.bias")
        for (path, name) in [(missing, "res2.shortcut.bn1.running_var"), (extra, "mix1.branch4.conv1.bias")] {
            let r = try runScript(python, path, logits: 0)
            XCTAssertNotEqual(r.status, 0, "\(path): a non-strict load\n\(r)")
            XCTAssertTrue(r.stderr.contains("strict") && r.stderr.contains(name), "\(path): the message should name \(name)\n\(r)")
        }
    }
}
