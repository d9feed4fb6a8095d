// Where PyTorch is installed (Debian's python3-torch: /usr/bin/python3 -c 'import torch' succeeds,
// as launch/bench-vs-pytorch checks; else python3 on PATH), the new layer modes against
// torch.nn.functional on the same inputs and weights: a grouped conv2d (output, dx, dW, db of
// L = sum(dy * y)), ceil-mode max_pool2d (output and dx) and adaptive_avg_pool2d(1). Skipped
// otherwise.

import Core
import Foundation
import XCTest
import NN
import TestSupport

final class TorchCrossCheckTests: XCTestCase {
    private static let script = """
        import json, sys, torch
        import torch.nn.functional as F
        cases = json.load(open(sys.argv[1]))
        out = []
        for c in cases:
            x = torch.tensor(c["x"], dtype=torch.float64).reshape(c["xshape"]).requires_grad_(True)
            if c["op"] == "conv":
                w = torch.tensor(c["w"], dtype=torch.float64).reshape(c["wshape"]).requires_grad_(True)
                b = torch.tensor(c["b"], dtype=torch.float64).requires_grad_(True)
                y = F.conv2d(x, w, b, stride=c["stride"], padding=c["pad"], groups=c["groups"])
            elif c["op"] == "maxpool":
                y = F.max_pool2d(x, c["kernel"], c["stride"], c["pad"], ceil_mode=True)
            else:
                y = F.adaptive_avg_pool2d(x, 1)
            dy = torch.tensor(c["dy"], dtype=torch.float64).reshape(y.shape)
            (y * dy).sum().backward()
            r = {"y": y.flatten().tolist(), "yshape": list(y.shape), "dx": x.grad.flatten().tolist()}
            if c["op"] == "conv":
                r["dw"] = w.grad.flatten().tolist(); r["db"] = b.grad.tolist()
            out.append(r)
        print(json.dumps(out))
        """

    /// JSON numbers as Doubles, whichever type the parser gave them.
    private func doubles(_ value: Any?) -> [Double] {
        (value as? [Any] ?? []).compactMap { ($0 as? Double) ?? ($0 as? Int).map(Double.init) ?? ($0 as? NSNumber)?.doubleValue }
    }

    private func assertClose(_ a: [Float], _ b: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for i in 0..<min(a.count, b.count) where !(abs(Double(a[i]) - b[i]) <= 1e-4 * max(1, abs(b[i]))) {
            XCTFail("\(what)[\(i)]: dtrain \(a[i]) vs torch \(b[i])", file: file, line: line)
            return
        }
    }

    func testAgainstTorchFunctional() throws {
        guard runPython(["-c", "import torch"]).status == 0 else {
            throw XCTSkip("PyTorch is not installed (python3 -c 'import torch' fails; apt-get install python3-torch)")
        }
        // layers and their harnesses, with dy filled; each becomes one case for the script
        let conv = Conv2D(name: "gconv", input: Shape(6, 9, 8), out: 4, kernel: (3, 2), stride: (2, 1), pad: (1, 1),
                          bias: true, groups: 2)
        let depthwise = Conv2D(name: "dwconv", input: Shape(3, 20, 17), out: 6, kernel: (3, 3), stride: (1, 1),
                               pad: (1, 1), bias: true, groups: 3)
        let pools = [Pool2D(name: "p1", mode: .max, input: Shape(2, 7, 7), kernel: (2, 2), stride: (2, 2), pad: (0, 0), ceil: true),
                     Pool2D(name: "p2", mode: .max, input: Shape(2, 14, 13), kernel: (3, 3), stride: (2, 2), pad: (0, 0), ceil: true),
                     Pool2D(name: "p3", mode: .max, input: Shape(1, 5, 6), kernel: (3, 3), stride: (3, 3), pad: (1, 1), ceil: true)]
        let layers: [Layer] = [conv, depthwise] + pools + [GlobalAvgPool(name: "gap", input: Shape(3, 5, 7))]
        var cases: [[String: Any]] = []
        var harnesses: [LayerHarness] = []
        for (i, layer) in layers.enumerated() {
            let h = LayerHarness(layer, batch: 2, seed: 900 + UInt64(i))
            if layer is Pool2D { fill(h.x, distinctArray(h.x.count, seed: 900 + UInt64(i))) }
            fill(h.dy, randomArray(h.dy.count, seed: 950 + UInt64(i)))
            h.forward()
            h.grads.zero()
            h.backward()
            harnesses.append(h)
            let s = layer.inputShape
            var c: [String: Any] = ["x": h.x.toArray().map(Double.init), "xshape": [2, s.c, s.h, s.w],
                                    "dy": h.dy.toArray().map(Double.init)]
            if let conv = layer as? Conv2D {
                let g = conv.geometry, p = h.params.toArray().map(Double.init), wc = p.count - conv.outChannels
                c["op"] = "conv"
                c["w"] = Array(p[0..<wc]); c["wshape"] = conv.parameterShapes[0].shape; c["b"] = Array(p[wc...])
                c["stride"] = [g.sh, g.sw]; c["pad"] = [g.ph, g.pw]; c["groups"] = conv.groups
            } else if let pool = layer as? Pool2D {
                let g = pool.geometry
                c["op"] = "maxpool"; c["kernel"] = [g.kh, g.kw]; c["stride"] = [g.sh, g.sw]; c["pad"] = [g.ph, g.pw]
            } else {
                c["op"] = "gap"
            }
            cases.append(c)
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dtrain-torch-\(getpid()).json")
        try JSONSerialization.data(withJSONObject: cases).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let run = runPython(["-c", Self.script, url.path])
        XCTAssertEqual(run.status, 0, "the torch script failed")
        let results = try XCTUnwrap(try JSONSerialization.jsonObject(with: run.output) as? [[String: Any]])
        XCTAssertEqual(results.count, layers.count)
        for (i, (h, r)) in zip(harnesses, results).enumerated() {
            let name = "\(h.layer.name) (case \(i))"
            let o = h.layer.outputShape
            XCTAssertEqual(doubles(r["yshape"]), [2, o.c, o.h, o.w].map(Double.init), "\(name) output shape")
            assertClose(h.y.toArray(), doubles(r["y"]), "\(name) y")
            assertClose(h.dx.toArray(), doubles(r["dx"]), "\(name) dx")
            if h.layer is Conv2D {
                assertClose(h.grads.toArray(), doubles(r["dw"]) + doubles(r["db"]), "\(name) dW, db")
            }
        }
    }
}
