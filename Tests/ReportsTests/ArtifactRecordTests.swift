// The artefact records (Core/Records/ArtifactRecords.swift) that training writes and the report
// reads: a written record loads back equal (floats bit for bit), non-finite values survive as
// null -> NaN, and files in the format of the old string-built writer still load.

import Core
import Foundation
import Reports
import TestSupport
import XCTest

final class ArtifactRecordTests: XCTestCase {
    func testConfusionRoundTripAndOldFormat() throws {
        let dir = try scratchDirectory(self)
        let c = ConfusionRecord(classes: 3, matrix: [[5, 1, 0], [0, 4, 2], [1, 0, 6]], labels: ["0", "1", "2"])
        try c.write(to: dir + "/confusion.json")
        XCTAssertEqual(try ConfusionRecord.load(path: dir + "/confusion.json"), c)
        let text = try String(contentsOfFile: dir + "/confusion.json", encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("}\n") && !text.dropLast().contains("\n"), "one line: \(text)")

        // what Training's Artifacts.writeConfusion wrote by string concatenation
        let old = "{\"classes\": 3, \"matrix\": [\n  [5, 1, 0],\n  [0, 4, 2],\n  [1, 0, 6]\n], \"labels\": [\"0\", \"1\", \"2\"]}\n"
        try old.write(toFile: dir + "/old.json", atomically: true, encoding: .utf8)
        XCTAssertEqual(try ConfusionRecord.load(path: dir + "/old.json"), c)
    }

    func testImageGridFloatsRoundTripExactly() throws {
        let dir = try scratchDirectory(self)
        var rng = SystemRandomNumberGenerator()
        let values = (0..<64).map { _ in Float(bitPattern: UInt32.random(in: 0x0080_0000...0x7f7f_ffff, using: &rng)) * (Bool.random() ? 1 : -1) }
            + [0, -0.0, .leastNormalMagnitude, .greatestFiniteMagnitude, 0.1, 1e-7, 123456.79]
        let g = ImageGridRecord(layer: "conv1/a", images: [.init(width: values.count, height: 1, values: values, label: "conv1 filter 0"),
                                                           .init(width: 1, height: 1, values: [2])])
        try g.write(to: dir + "/filters.json")
        let back = try ImageGridRecord.load(path: dir + "/filters.json")
        XCTAssertEqual(back.images[0].values.map(\.bitPattern), values.map(\.bitPattern))
        XCTAssertEqual(back, g)
        XCTAssertNil(back.images[1].label)
        XCTAssertTrue(try String(contentsOfFile: dir + "/filters.json", encoding: .utf8).contains("\"layer\":\"conv1/a\""))
    }

    func testNonFiniteImageValuesAreNull() throws {
        let dir = try scratchDirectory(self)
        let g = ImageGridRecord(layer: "x", images: [.init(width: 3, height: 1, values: [.nan, .infinity, 1])])
        try g.write(to: dir + "/features.json")
        let text = try String(contentsOfFile: dir + "/features.json", encoding: .utf8)
        XCTAssertTrue(text.contains("[null,null,1]"), text)
        let back = try ImageGridRecord.load(path: dir + "/features.json")
        XCTAssertTrue(back.images[0].values[0].isNaN && back.images[0].values[1].isNaN)
        XCTAssertEqual(back.images[0].values[2], 1)
    }

    func testOldImageGridFormatLoads() throws {
        let dir = try scratchDirectory(self)
        // Artifacts.writeFilters / writeFeatures before the records: %.6g values, "label" before "values"
        let old = "{\"layer\": \"conv1\", \"images\": [\n"
            + "  {\"width\": 2, \"height\": 2, \"label\": \"conv1 filter 0\", \"values\": [0.123457,-1e-05,3,-0.5]},\n"
            + "  {\"width\": 1, \"height\": 2, \"label\": \"conv1 filter 1\", \"values\": [2.5e+07,0]}\n]}\n"
        try old.write(toFile: dir + "/filters.json", atomically: true, encoding: .utf8)
        let g = try ImageGridRecord.load(path: dir + "/filters.json")
        XCTAssertEqual(g, ImageGridRecord(layer: "conv1", images: [
            .init(width: 2, height: 2, values: [0.123457, -1e-05, 3, -0.5], label: "conv1 filter 0"),
            .init(width: 1, height: 2, values: [2.5e+07, 0], label: "conv1 filter 1"),
        ]))
        XCTAssertEqual(g.grayImages.count, 2)
        try "{\"layer\": \"conv1\", \"images\": [{\"width\": 1, \"height\": 1}]}".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        assertInputError([dir + "/bad.json", "values"]) { _ = try ImageGridRecord.load(path: dir + "/bad.json") }
    }
}
