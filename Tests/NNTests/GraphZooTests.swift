// The graph models of the zoo: configs/models/googlenet.yaml (Szegedy et al. 2014, Table 1) and
// configs/models/resnet18.yaml (torchvision's resnet18). Exact parameter counts per module and in
// total, Table 1's output shapes, torchvision's tensor names, and the summary's block rows. Where
// PyTorch and torchvision are installed (/usr/bin/python3; Debian's python3-torch and
// python3-torchvision), resnet18's parameter and buffer names and shapes against
// torchvision.models.resnet18().state_dict(); skipped otherwise.

import Core
import Foundation
import XCTest
import NN
import TestSupport

final class GraphZooTests: XCTestCase {
    /// Table 1's inception rows: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj, and the
    /// output (depth, size).
    private static let inceptionRows: [(name: String, c: [Int], depth: Int, size: Int)] = [
        ("inception3a", [64, 96, 128, 16, 32, 32], 256, 28),
        ("inception3b", [128, 128, 192, 32, 96, 64], 480, 28),
        ("inception4a", [192, 96, 208, 16, 48, 64], 512, 14),
        ("inception4b", [160, 112, 224, 24, 64, 64], 512, 14),
        ("inception4c", [128, 128, 256, 24, 64, 64], 512, 14),
        ("inception4d", [112, 144, 288, 32, 64, 64], 528, 14),
        ("inception4e", [256, 160, 320, 32, 128, 128], 832, 14),
        ("inception5a", [256, 160, 320, 32, 128, 128], 832, 7),
        ("inception5b", [384, 192, 384, 48, 128, 128], 1024, 7),
    ]

    /// An inception module's weights + biases from its input depth and Table 1's six numbers:
    /// 1x1, 1x1 reduce + 3x3, 1x1 reduce + 5x5, 1x1 pool projection, every conv with a bias.
    private func inceptionParams(input cin: Int, _ c: [Int]) -> Int {
        let (c1, c3r, c3, c5r, c5, pool) = (c[0], c[1], c[2], c[3], c[4], c[5])
        return (cin * c1 + c1) + (cin * c3r + c3r) + (c3r * c3 * 9 + c3) + (cin * c5r + c5r)
            + (c5r * c5 * 25 + c5) + (cin * pool + pool)
    }

    func testGoogLeNetModules() throws {
        let plan = try loadPlan("googlenet")
        XCTAssertEqual(plan.spec.name, "googlenet")
        XCTAssertEqual(plan.input, Shape(3, 224, 224))
        XCTAssertEqual(plan.output, Shape(flat: 1000))
        let joins = plan.joins
        XCTAssertEqual(joins.map(\.name), Self.inceptionRows.map(\.name))
        // exact per-module counts (docs/googlenet-params.md), each also from Table 1's columns
        let exact = [163_696, 388_736, 376_176, 449_160, 510_104, 605_376, 868_352, 1_043_456, 1_444_080]
        var input = 192
        for (k, (row, join)) in zip(Self.inceptionRows, joins).enumerated() {
            XCTAssertEqual(join.kind, .concat, row.name)
            XCTAssertEqual(join.params, exact[k], row.name)
            XCTAssertEqual(join.params, inceptionParams(input: input, row.c), row.name)
            XCTAssertEqual(join.output, Shape(row.depth, row.size, row.size), row.name)
            XCTAssertEqual(row.c[0] + row.c[2] + row.c[4] + row.c[5], row.depth, "\(row.name): Table 1's depth")
            XCTAssertEqual(join.channelOffsets, [0, row.c[0], row.c[0] + row.c[2], row.c[0] + row.c[2] + row.c[4]], row.name)
            XCTAssertEqual(plan.layers[join.layerRange].filter { $0.typeName == "Conv2d" }.count, 6, row.name)
            XCTAssertEqual(plan.layers[join.layerRange].filter { $0.typeName == "ReLU" }.count, 6, row.name)
            input = row.depth
        }
        XCTAssertEqual(exact.reduce(0, +), 5_849_136)
        // stem 9,472 + 4,160 + 110,784, fc 1,024 x 1,000 + 1,000
        XCTAssertEqual(plan.parameterCount, 124_416 + 5_849_136 + 1_025_000)
        XCTAssertEqual(plan.parameterCount, 6_998_552)
        XCTAssertEqual(plan.tensors.reduce(0) { $0 + $1.count }, 6_998_552)
        XCTAssertTrue(plan.stateTensors.isEmpty)
    }

    /// The stem and the pools give Table 1's sizes (112, 56, 28, 14, 7, 1).
    func testGoogLeNetShapes() throws {
        let plan = try loadPlan("googlenet")
        let top = plan.layers.filter { $0.depth == 0 }
        XCTAssertEqual(top.filter { $0.typeName == "Conv2d" }.map(\.output), [Shape(64, 112, 112), Shape(64, 56, 56), Shape(192, 56, 56)])
        XCTAssertEqual(top.filter { $0.typeName == "MaxPool2d" }.map(\.output),
                       [Shape(64, 56, 56), Shape(192, 28, 28), Shape(480, 14, 14), Shape(832, 7, 7)])
        XCTAssertEqual(top.filter { $0.typeName == "LocalResponseNorm" }.map(\.output), [Shape(64, 56, 56), Shape(192, 56, 56)])
        XCTAssertEqual(top.first { $0.typeName == "AvgPool2d" }?.output, Shape(1024, 1, 1))
        XCTAssertEqual(top.first { $0.typeName == "Dropout" }?.spec.kind, .dropout(p: 0.4))
        let shapes = Dictionary(uniqueKeysWithValues: plan.tensors.map { ($0.name, $0.shape) })
        XCTAssertEqual(shapes["conv1.weight"], [64, 3, 7, 7])
        XCTAssertEqual(shapes["conv1.bias"], [64])
        XCTAssertEqual(shapes["inception3a.branch3.conv2.weight"], [32, 16, 5, 5])      // the 5x5 is 5x5
        XCTAssertEqual(shapes["inception5b.branch4.conv1.weight"], [128, 832, 1, 1])
        XCTAssertEqual(shapes["fc.weight"], [1000, 1024])
        XCTAssertEqual(shapes["fc.bias"], [1000])
        // every convolution has a bias and is followed by a ReLU
        for (i, l) in plan.layers.enumerated() where l.typeName == "Conv2d" {
            XCTAssertNotNil(l.biasShape, l.name)
            XCTAssertEqual(plan.layers[i + 1].typeName, "ReLU", l.name)
        }
    }

    /// `dtrain summary` prints ModelSummary.table(): one Branch row per inception module.
    func testGoogLeNetSummaryRows() throws {
        let summary = ModelSummary(plan: try loadPlan("googlenet"))
        let blocks = summary.rows.filter { $0.kind == "branch" }
        XCTAssertEqual(blocks.map(\.name), Self.inceptionRows.map(\.name))
        XCTAssertEqual(blocks.map(\.depth), Array(repeating: 0, count: 9))
        XCTAssertEqual(blocks.first?.params, 163_696)
        XCTAssertEqual(blocks.first?.biases, 368)
        XCTAssertEqual(summary.totalParams, 6_998_552)
        let table = summary.table()
        XCTAssertTrue(table.contains("Total params: 6,998,552"))
        let branchLines = table.split(separator: "\n").filter { $0.hasPrefix("Branch-") }
        XCTAssertEqual(branchLines.count, 9)
        for (line, row) in zip(branchLines, Self.inceptionRows) {
            XCTAssertTrue(line.contains(" \(row.name) "), "\(line)")
            XCTAssertTrue(line.contains("[-1, \(row.depth), \(row.size), \(row.size)]"), "\(line)")
        }
        XCTAssertTrue(branchLines[8].contains("1,444,080"))
    }

    func testResNet18CountsAndNames() throws {
        let plan = try loadPlan("resnet18")
        XCTAssertEqual(plan.spec.name, "resnet18")
        XCTAssertEqual(plan.parameterCount, 11_689_512)
        XCTAssertEqual(plan.tensors.reduce(0) { $0 + $1.count }, 11_689_512)
        XCTAssertEqual(plan.input, Shape(3, 224, 224))
        XCTAssertEqual(plan.output, Shape(flat: 1000))
        let joins = plan.joins
        XCTAssertEqual(joins.map(\.name), ["layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1", "layer4.0", "layer4.1"])
        XCTAssertTrue(joins.allSatisfy { $0.kind == .add })
        XCTAssertEqual(joins.map(\.output), [Shape(64, 56, 56), Shape(64, 56, 56), Shape(128, 28, 28), Shape(128, 28, 28),
                                             Shape(256, 14, 14), Shape(256, 14, 14), Shape(512, 7, 7), Shape(512, 7, 7)])
        XCTAssertEqual(joins.map(\.params), [73_984, 73_984, 230_144, 295_424, 919_040, 1_180_672, 3_673_088, 4_720_640])
        // identity shortcuts read the block's input directly; the projections are layers
        XCTAssertEqual(joins.map { plan.nodeName($0.inputs[1]) },
                       ["maxpool1", "relu2", "layer2.0.shortcut.bn1", "relu4", "layer3.0.shortcut.bn1", "relu6",
                        "layer4.0.shortcut.bn1", "relu8"])

        let shapes = Dictionary(uniqueKeysWithValues: plan.tensors.map { ($0.name, $0.shape) })
        XCTAssertEqual(plan.tensors.count, 62)
        XCTAssertEqual(plan.tensors.first?.name, "conv1.weight")
        XCTAssertEqual(shapes["conv1.weight"], [64, 3, 7, 7])
        XCTAssertNil(shapes["conv1.bias"])
        XCTAssertEqual(shapes["bn1.weight"], [64])
        XCTAssertEqual(shapes["layer1.0.conv1.weight"], [64, 64, 3, 3])
        XCTAssertEqual(shapes["layer2.0.conv1.weight"], [128, 64, 3, 3])
        XCTAssertEqual(shapes["layer2.0.shortcut.conv1.weight"], [128, 64, 1, 1])
        XCTAssertEqual(shapes["layer3.0.shortcut.bn1.bias"], [256])
        XCTAssertEqual(shapes["layer4.1.conv2.weight"], [512, 512, 3, 3])
        XCTAssertEqual(shapes["fc.weight"], [1000, 512])
        XCTAssertEqual(shapes["fc.bias"], [1000])
        XCTAssertNil(shapes["layer1.0.shortcut.conv1.weight"])

        let state = Dictionary(uniqueKeysWithValues: plan.stateTensors.map { ($0.name, $0.shape) })
        XCTAssertEqual(plan.stateTensors.count, 60)           // 20 BatchNorms x (running_mean, running_var, num_batches_tracked)
        XCTAssertEqual(state["layer4.1.bn2.running_var"], [512])
        XCTAssertEqual(state["layer1.0.bn1.running_mean"], [64])
        XCTAssertEqual(state["layer2.0.shortcut.bn1.running_mean"], [128])
        XCTAssertEqual(state["bn1.num_batches_tracked"], [])
    }

    func testResNet18Shapes() throws {
        let plan = try loadPlan("resnet18")
        XCTAssertEqual(plan.layers.first { $0.name == "conv1" }?.output, Shape(64, 112, 112))
        XCTAssertEqual(plan.layers.first { $0.name == "maxpool1" }?.output, Shape(64, 56, 56))
        XCTAssertEqual(plan.layers.first { $0.name == "globalavgpool1" }?.output, Shape(512, 1, 1))
        for l in plan.layers where l.typeName == "Conv2d" { XCTAssertNil(l.biasShape, l.name) }
        XCTAssertEqual(plan.layers.filter { $0.typeName == "BatchNorm2d" }.count, 20)
        let summary = ModelSummary(plan: plan)
        XCTAssertEqual(summary.rows.filter { $0.kind == "residual" }.count, 8)
        XCTAssertTrue(summary.table().contains("Total params: 11,689,512"))
    }

    /// Both run: GoogLeNet's inference pass at 224x224 (its 7x7 average pool needs it), ResNet-18's
    /// training pass and backward at 64x64 (global pooling takes any size), every tensor reached.
    func testForwardAndBackwardRun() throws {
        let googlenet = try Network(plan: loadPlan("googlenet"))
        googlenet.initialize(seed: 1)
        let x = buffer(randomArray(googlenet.inputShape.count, seed: 2))
        let logits = googlenet.forward(x.pointer, batch: 1, context: .inference)
        let g = Array(UnsafeBufferPointer(start: logits, count: 1000))
        XCTAssertTrue(g.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(Set(g).count, 1)

        let resnet = try Network(plan: NetworkPlan(ModelSpec.load(path: modelPath("resnet18")), input: Shape(3, 64, 64)))
        resnet.initialize(seed: 3)
        let n = 2
        let xs = buffer(randomArray(n * resnet.inputShape.count, seed: 4))
        let labels: [Int32] = [7, 993]
        resnet.zeroGradients()
        let z = resnet.forward(xs.pointer, batch: n, context: PassContext(training: true, seed: 5, epoch: 1))
        let loss = labels.withUnsafeBufferPointer {
            LossFunction.softmaxCrossEntropy.evaluate(logits: z, labels: $0.baseAddress!, batch: n, classes: 1000,
                                                      gradient: resnet.outputGradient, scale: 1 / Float(n)).lossSum
        }
        XCTAssertTrue(loss.isFinite)
        resnet.backward()
        let grads = Array(resnet.gradients)
        XCTAssertTrue(grads.allSatisfy(\.isFinite))
        for t in resnet.tensors {
            XCTAssertTrue(grads[t.offset ..< t.offset + t.count].contains { $0 != 0 }, "\(t.name) has no gradient")
        }
    }

    // MARK: torchvision cross-check

    private static let script = """
        import json, torchvision
        m = torchvision.models.resnet18()
        names = {n for n, _ in m.named_parameters()}
        print(json.dumps([[n, list(t.shape), n in names] for n, t in m.state_dict().items()]))
        """

    /// torchvision's name for a dtrain one: the projection is `downsample.0` / `downsample.1`.
    private func torchName(_ name: String) -> String {
        name.replacingOccurrences(of: ".shortcut.conv1.", with: ".downsample.0.")
            .replacingOccurrences(of: ".shortcut.bn1.", with: ".downsample.1.")
    }

    func testResNet18AgainstTorchvision() throws {
        guard runPython(["-c", "import torch, torchvision"]).status == 0 else {
            throw XCTSkip("PyTorch or torchvision is not installed (python3 -c 'import torch, torchvision' fails; apt-get install python3-torchvision)")
        }
        let run = runPython(["-c", Self.script])
        XCTAssertEqual(run.status, 0, "the torchvision script failed")
        let entries = try XCTUnwrap(try JSONSerialization.jsonObject(with: run.output) as? [[Any]])
        var torchParams: [(String, [Int])] = [], torchBuffers: [String: [Int]] = [:]
        for e in entries {
            let name = try XCTUnwrap(e[0] as? String), shape = try XCTUnwrap(e[1] as? [Int]), isParam = try XCTUnwrap(e[2] as? Bool)
            if isParam { torchParams.append((name, shape)) } else { torchBuffers[name] = shape }
        }
        let plan = try loadPlan("resnet18")
        // parameters: the same names, shapes and order (the gradient buffer's layout is the state_dict's)
        XCTAssertEqual(plan.tensors.map { torchName($0.name) }, torchParams.map(\.0))
        XCTAssertEqual(plan.tensors.map(\.shape), torchParams.map(\.1))
        XCTAssertEqual(plan.tensors.reduce(0) { $0 + $1.count }, torchParams.reduce(0) { $0 + $1.1.reduce(1, *) })
        // buffers: running_mean, running_var, num_batches_tracked of every BatchNorm
        let ours = Dictionary(uniqueKeysWithValues: plan.stateTensors.map { (torchName($0.name), $0.shape) })
        XCTAssertEqual(ours, torchBuffers)
        XCTAssertEqual(torchBuffers.count, 60)
    }
}
