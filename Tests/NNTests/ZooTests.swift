// The model zoo in configs/models: exact parameter counts, the shapes the papers state, the
// PyTorch parameter names and layouts, and the torchsummary figures (checked by hand for LeNet-5).

import Core
import Foundation
import XCTest
import NN

final class ZooTests: XCTestCase {
    func testParameterCounts() throws {
        let expected = [
            "lenet5": 61_706,
            "lab5": 1_650,                // 40 + 296 + 584 + 730
            "alexnet": 62_378_344,
            "alexnet-2gpu": 60_965_224,   // Caffe's bvlc_alexnet: groups 2 in conv2, conv4, conv5
            "vgg16": 138_357_544,
            "mnist-alexnet": 632_250,     // 624 + 38,464 + 55,392 + 83,040 + 55,360 + 131,584 + 262,656 + 5,130
            "googlenet": 6_998_552,       // Table 1 with biases; per module in GraphZooTests, docs/googlenet-params.md
            "resnet18": 11_689_512,       // torchvision.models.resnet18
        ]
        for (name, count) in expected {
            let plan = try loadPlan(name)
            XCTAssertEqual(plan.parameterCount, count, name)
            XCTAssertEqual(plan.spec.name, name)
            XCTAssertEqual(plan.tensors.reduce(0) { $0 + $1.count }, count, "\(name): tensors cover the buffer")
        }
    }

    /// Every spec in configs/models parses and plans, including ones added after this test.
    func testEveryZooFilePlans() throws {
        let folder = repositoryRoot.appendingPathComponent("configs/models")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertTrue(Set(files).isSuperset(of: ["alexnet.yaml", "alexnet-2gpu.yaml", "googlenet.yaml", "lab5.yaml", "lenet5.yaml",
                                              "mnist-alexnet.yaml", "resnet18.yaml", "vgg16.yaml"]))
        for file in files {
            let plan = try NetworkPlan(ModelSpec.load(path: folder.appendingPathComponent(file).path))
            XCTAssertGreaterThan(plan.parameterCount, 0, file)
        }
    }

    func testOutputsAndInputs() throws {
        let expected: [(String, Shape, Int)] = [
            ("lenet5", Shape(1, 28, 28), 10), ("lab5", Shape(1, 28, 28), 10),
            ("alexnet", Shape(3, 227, 227), 1000), ("alexnet-2gpu", Shape(3, 227, 227), 1000),
            ("vgg16", Shape(3, 224, 224), 1000),
            ("mnist-alexnet", Shape(1, 28, 28), 10),
            ("googlenet", Shape(3, 224, 224), 1000), ("resnet18", Shape(3, 224, 224), 1000),
        ]
        for (name, input, classes) in expected {
            let plan = try loadPlan(name)
            XCTAssertEqual(plan.input, input, name)
            XCTAssertEqual(plan.output, Shape(flat: classes), name)
            XCTAssertEqual(plan.classes, classes, name)
        }
    }

    func testAlexNetShapes() throws {
        let plan = try loadPlan("alexnet")
        let conv1 = try XCTUnwrap(plan.layers.first { $0.name == "conv1" })
        XCTAssertEqual(conv1.output, Shape(96, 55, 55))
        let fc1 = try XCTUnwrap(plan.layers.first { $0.name == "fc1" })
        XCTAssertEqual(fc1.input, Shape(flat: 9216))
        let flatten = try XCTUnwrap(plan.layers.first { $0.spec.kind == .flatten })
        XCTAssertEqual(flatten.input, Shape(256, 6, 6))
        let convs = plan.layers.filter { $0.typeName == "Conv2d" }.map(\.output)
        XCTAssertEqual(convs, [Shape(96, 55, 55), Shape(256, 27, 27), Shape(384, 13, 13), Shape(384, 13, 13), Shape(256, 13, 13)])
        XCTAssertEqual(plan.layers.filter { $0.typeName == "LocalResponseNorm" }.count, 2)
        XCTAssertEqual(plan.layers.filter { $0.typeName == "Dropout" }.count, 2)
        for l in plan.layers where l.typeName == "LocalResponseNorm" {
            XCTAssertEqual(l.spec.kind, .lrn(size: 5, alpha: 0.0005, beta: 0.75, k: 2))
        }
    }

    /// The two-GPU AlexNet is the one-tower one with conv2, conv4 and conv5 split in two groups:
    /// the same layers and shapes, half the input channels in those three weights.
    func testAlexNet2GPU() throws {
        let one = try loadPlan("alexnet"), two = try loadPlan("alexnet-2gpu")
        XCTAssertEqual(two.layers.map(\.name), one.layers.map(\.name))
        XCTAssertEqual(two.layers.map(\.output), one.layers.map(\.output))
        let grouped = two.layers.compactMap { l -> String? in
            if case let .conv(_, _, _, _, _, groups) = l.spec.kind, groups == 2 { return l.name } else { return nil }
        }
        XCTAssertEqual(grouped, ["conv2", "conv4", "conv5"])
        let shapes = Dictionary(uniqueKeysWithValues: two.tensors.map { ($0.name, $0.shape) })
        XCTAssertEqual(shapes["conv2.weight"], [256, 48, 5, 5])
        XCTAssertEqual(shapes["conv3.weight"], [384, 256, 3, 3])
        XCTAssertEqual(shapes["conv4.weight"], [384, 192, 3, 3])
        XCTAssertEqual(shapes["conv5.weight"], [256, 192, 3, 3])
        XCTAssertEqual(one.parameterCount - two.parameterCount, 256 * 48 * 25 + 384 * 192 * 9 + 256 * 192 * 9)
        let summary = ModelSummary(plan: two)
        XCTAssertTrue(summary.table().contains("Total params: 60,965,224"))
        XCTAssertEqual(summary.rows.first { $0.name == "conv2" }?.params, 307_456)
    }

    func testVGG16Shapes() throws {
        let plan = try loadPlan("vgg16")
        XCTAssertEqual(plan.layers.filter { $0.typeName == "Conv2d" }.count, 13)
        XCTAssertEqual(plan.layers.filter { $0.typeName == "Linear" }.count, 3)
        let pools = plan.layers.filter { $0.typeName == "MaxPool2d" }.map(\.output)
        XCTAssertEqual(pools, [Shape(64, 112, 112), Shape(128, 56, 56), Shape(256, 28, 28), Shape(512, 14, 14), Shape(512, 7, 7)])
        XCTAssertEqual(plan.layers.first { $0.name == "fc6" }?.weightShape, [4096, 25088])
    }

    func testSmallModelShapes() throws {
        let lab5 = try loadPlan("lab5")
        XCTAssertEqual(lab5.layers.filter { $0.typeName == "MaxPool2d" }.map(\.output),
                       [Shape(4, 14, 14), Shape(8, 7, 7), Shape(8, 3, 3)])
        XCTAssertEqual(lab5.layers.first { $0.typeName == "Flatten" }?.output, Shape(flat: 72))

        let mnist = try loadPlan("mnist-alexnet")
        XCTAssertEqual(mnist.layers.filter { $0.typeName == "Conv2d" }.map(\.output),
                       [Shape(24, 28, 28), Shape(64, 13, 13), Shape(96, 6, 6), Shape(96, 6, 6), Shape(64, 6, 6)])
        XCTAssertEqual(mnist.layers.first { $0.typeName == "Flatten" }?.output, Shape(flat: 256))
        XCTAssertEqual(mnist.layers.filter { $0.typeName == "Linear" }.map(\.output.count), [512, 512, 10])
        // small enough for a CPU: multiply-adds per image, counted from the plan
        var macs = 0
        for l in mnist.layers where l.weightShape != nil { macs += l.weights * l.output.h * l.output.w }
        XCTAssertLessThan(2 * macs, 40_000_000, "forward FLOP per image")
        XCTAssertLessThan(mnist.parameterCount, 1_500_000)
    }

    func testLeNetParameterNamesAndLayout() throws {
        let plan = try loadPlan("lenet5")
        let tensors = plan.tensors
        XCTAssertEqual(tensors.map(\.name), ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                             "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"])
        XCTAssertEqual(tensors.map(\.shape), [[6, 1, 5, 5], [6], [16, 6, 5, 5], [16], [120, 400], [120],
                                              [84, 120], [84], [10, 84], [10]])
        var offset = 0
        for t in tensors {
            XCTAssertEqual(t.offset, offset, t.name)
            offset += t.count
        }
        XCTAssertEqual(offset, 61_706)
        XCTAssertEqual(plan.layers.map(\.name), ["conv1", "relu1", "maxpool1", "conv2", "relu2", "maxpool2", "flatten1",
                                                 "fc1", "relu3", "fc2", "relu4", "fc3"])
    }

    /// LeNet-5 by hand. Rows' outputs: conv1 4704, relu 4704, pool 1176, conv2 1600, relu 1600,
    /// pool 400, flatten 400, fc1 120, relu 120, fc2 84, relu 84, fc3 10: 15,002 numbers.
    func testLeNetSummaryFigures() throws {
        let summary = ModelSummary(plan: try loadPlan("lenet5"))
        XCTAssertEqual(summary.rows.count, 12)
        XCTAssertEqual(summary.totalParams, 61_706)
        XCTAssertEqual(summary.trainableParams, 61_706)
        XCTAssertEqual(summary.rows.reduce(0) { $0 + $1.outputShape.count }, 15_002)
        XCTAssertEqual(summary.inputSizeMB, 784.0 * 4 / 1_048_576, accuracy: 1e-12)                 // 0.0030
        XCTAssertEqual(summary.forwardBackwardSizeMB, 2.0 * 15_002 * 4 / 1_048_576, accuracy: 1e-12) // 0.1145
        XCTAssertEqual(summary.paramsSizeMB, 61_706.0 * 4 / 1_048_576, accuracy: 1e-12)             // 0.2354
        let totalNumbers: Double = 784 + 2 * 15_002 + 61_706
        XCTAssertEqual(summary.totalSizeMB, totalNumbers * 4 / 1_048_576, accuracy: 1e-12)          // 0.3528
        let rows = summary.rows
        XCTAssertEqual(rows[0].outputShape.description, "[-1, 6, 28, 28]")
        XCTAssertEqual(rows[6].outputShape.description, "[-1, 400]")
        XCTAssertEqual(rows[0].weights, 150); XCTAssertEqual(rows[0].biases, 6); XCTAssertEqual(rows[0].params, 156)
        XCTAssertEqual(rows[3].params, 2_416)
        XCTAssertEqual(rows[7].params, 48_120)
        XCTAssertEqual(rows[9].params, 10_164)
        XCTAssertEqual(rows[11].params, 850)
        XCTAssertEqual(rows[1].params, 0)

        let table = summary.table()
        for line in ["Total params: 61,706", "Trainable params: 61,706", "Input size (MB): 0.00",
                     "Forward/backward pass size (MB): 0.11", "Params size (MB): 0.24",
                     "Estimated Total Size (MB): 0.35", "[-1, 16, 5, 5]", "Conv2d-1", "1024^2"] {
            XCTAssertTrue(table.contains(line), "table lacks '\(line)'")
        }
    }

    func testSummaryJSON() throws {
        let summary = ModelSummary(plan: try loadPlan("lenet5"))
        let data = try XCTUnwrap(summary.json().data(using: .utf8))
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["layers", "total_params", "trainable_params", "input_size_mb", "forward_backward_size_mb",
                    "params_size_mb", "total_size_mb"] {
            XCTAssertNotNil(object[key], "missing \(key)")
        }
        XCTAssertEqual(object["total_params"] as? Int, 61_706)
        XCTAssertEqual(object["trainable_params"] as? Int, 61_706)
        XCTAssertEqual((object["forward_backward_size_mb"] as? NSNumber)?.doubleValue ?? -1, 0.11, accuracy: 1e-9)
        XCTAssertEqual((object["params_size_mb"] as? NSNumber)?.doubleValue ?? -1, 0.24, accuracy: 1e-9)
        XCTAssertEqual((object["total_size_mb"] as? NSNumber)?.doubleValue ?? -1, 0.35, accuracy: 1e-9)
        let layers = try XCTUnwrap(object["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 12)
        for layer in layers {
            for key in ["name", "kind", "output_shape", "weights", "biases", "params"] {
                XCTAssertNotNil(layer[key], "layer lacks \(key)")
            }
        }
        XCTAssertEqual(layers[0]["name"] as? String, "conv1")
        XCTAssertEqual(layers[0]["kind"] as? String, "conv")
        XCTAssertEqual(layers[0]["output_shape"] as? [Int], [-1, 6, 28, 28])
        XCTAssertEqual(layers[0]["params"] as? Int, 156)
        XCTAssertEqual(layers[11]["output_shape"] as? [Int], [-1, 10])
    }

    func testAlexNetSummaryTotals() throws {
        let summary = ModelSummary(plan: try loadPlan("alexnet"))
        XCTAssertEqual(summary.totalParams, 62_378_344)
        XCTAssertEqual(summary.paramsSizeMB, 62_378_344.0 * 4 / 1_048_576, accuracy: 1e-9)   // 237.95
        XCTAssertTrue(summary.table().contains("Total params: 62,378,344"))
    }
}
