// layerFLOPs (Bench/Yardsticks.swift) counts a grouped convolution's multiply-adds, not those of
// the ungrouped layer: 2 x out x in/groups x kh x kw per output pixel and sample forward.

import Core
import Foundation
import NN
import Training
import XCTest

final class LayerFLOPsTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    func testGroupedConvolutionsCountTheirOwnMultiplyAdds() throws {
        let one = try NetworkPlan(ModelSpec.load(path: root + "/configs/models/alexnet.yaml"))
        let two = try NetworkPlan(ModelSpec.load(path: root + "/configs/models/alexnet-2gpu.yaml"))
        for name in ["conv2", "conv4", "conv5"] {
            let a = try XCTUnwrap(one.layers.first { $0.name == name }), b = try XCTUnwrap(two.layers.first { $0.name == name })
            let fa = layerFLOPs(a, batch: 4, firstLayer: false), fb = layerFLOPs(b, batch: 4, firstLayer: false)
            XCTAssertEqual(fb.forward * 2, fa.forward, name)
            XCTAssertEqual(fb.backward * 2, fa.backward, name)
        }
        let conv2 = try XCTUnwrap(two.layers.first { $0.name == "conv2" })
        XCTAssertEqual(layerFLOPs(conv2, batch: 1, firstLayer: false).forward, 2.0 * 256 * 48 * 25 * 27 * 27)
        XCTAssertEqual(layerFLOPs(two.layers[0], batch: 1, firstLayer: true).backward, 2.0 * 96 * 3 * 121 * 55 * 55)
    }
}
