// Helpers for the Reports tests: scratch folders, a tiny synthetic run written the way the
// trainer writes it, an XML well-formedness check (XMLParser) that also collects the elements,
// and an assertion that a call throws an InputError naming a file.

import Core
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import NN
import Reports
import XCTest

/// A fresh empty directory, removed when the test ends.
func scratchDirectory(_ test: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "dtrain-reports-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// The values one synthetic epoch line is written from, so tests can compare against them.
struct SyntheticEpoch {
    var epoch: Int, step: Int, worldSize: Int, lr: Double
    var trainLoss: Double, trainAccuracy: Double, valLoss: Double?, valAccuracy: Double?
    var testLoss: Double, testAccuracy: Double, testTop5: Double
    var epochSeconds: Double, imagesPerSec: Double, compute: Double, comm: Double, data: Double
    var diagnostics: Bool

    var jsonLine: String {
        func n(_ v: Double?) -> String { v.map { "\($0)" } ?? "null" }
        var s = "{\"epoch\": \(epoch), \"step\": \(step), \"world_size\": \(worldSize), \"lr\": \(lr), "
        s += "\"train_loss\": \(trainLoss), \"train_accuracy\": \(trainAccuracy), \"val_loss\": \(n(valLoss)), "
        s += "\"val_accuracy\": \(n(valAccuracy)), \"test_loss\": \(testLoss), \"test_accuracy\": \(testAccuracy), "
        s += "\"test_top5\": \(testTop5), \"epoch_seconds\": \(epochSeconds), \"eval_seconds\": 0.25, "
        s += "\"images_per_sec\": \(imagesPerSec), \"compute_seconds\": \(compute), \"comm_seconds\": \(comm), "
        s += "\"data_seconds\": \(data), \"rank_train_accuracy\": [\(trainAccuracy - 0.5), \(trainAccuracy + 0.5)]"
        if diagnostics {
            s += ", \"diagnostics\": {\"layers\": ["
            s += "{\"name\": \"conv1\", \"dead_fraction\": \(0.1 * Double(epoch)), \"act_mean\": 0.3, \"act_std\": 0.9, \"grad_norm\": \(0.5 / Double(epoch)), \"weight_norm\": 3.2}, "
            s += "{\"name\": \"fc1\", \"dead_fraction\": 0.05, \"act_mean\": 0.2, \"act_std\": 0.7, \"grad_norm\": null, \"weight_norm\": 5.5}]}"
        }
        return s + "}"
    }
}

/// A run of 3 epochs x 20 steps: metrics.jsonl, steps.csv, and optionally confusion.json and
/// filters.json. Returns the epochs written. `seed` varies the numbers between variants.
@discardableResult
func writeSyntheticRun(folder: String, seed: Double, validationGap: Bool = false, extras: Bool = true) throws -> [SyntheticEpoch] {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let stepsPerEpoch = 20
    var epochs: [SyntheticEpoch] = []
    var csv = "step,epoch,train_loss,lr\n"
    for e in 1...3 {
        for k in 1...stepsPerEpoch {
            let step = (e - 1) * stepsPerEpoch + k
            let loss = 2.3 * exp(-Double(step) / (15 + seed)) + 0.05 * sin(Double(step) * 1.7)
            csv += "\(step),\(e),\(String(format: "%.6f", loss)),0.05\n"
        }
        let missingVal = validationGap && e == 2
        epochs.append(SyntheticEpoch(
            epoch: e, step: e * stepsPerEpoch, worldSize: 2, lr: 0.05 / Double(e),
            trainLoss: 1.23456 / Double(e) + seed / 100, trainAccuracy: 80 + Double(e) * 4.321 + seed,
            valLoss: missingVal ? nil : 0.98765 / Double(e) + seed / 50, valAccuracy: missingVal ? nil : 85.4321 + Double(e) + seed,
            testLoss: 0.9 / Double(e), testAccuracy: 86.125 + Double(e) * 2 + seed, testTop5: 98.0 + Double(e) * 0.3,
            epochSeconds: 12.34 + seed, imagesPerSec: 4321.6 + 100 * Double(e) + seed * 10,
            compute: 9.5, comm: 1.25 + seed / 10, data: 0.75, diagnostics: seed == 0))
    }
    try (epochs.map(\.jsonLine).joined(separator: "\n") + "\n").write(toFile: folder + "/metrics.jsonl", atomically: true, encoding: .utf8)
    try csv.write(toFile: folder + "/steps.csv", atomically: true, encoding: .utf8)
    if extras {
        var matrix = (0..<10).map { i in (0..<10).map { j in i == j ? 950 + i : (i * 3 + j) % 7 } }
        matrix[4][9] = 40; matrix[7][1] = 31; matrix[3][5] = 25; matrix[9][4] = 22; matrix[2][7] = 19
        try ConfusionRecord(classes: 10, matrix: matrix).write(to: folder + "/confusion.json")
        let images = (0..<6).map { k in
            ImageGridRecord.Image(width: 5, height: 5, values: (0..<25).map { Float(sin(Double($0 * (k + 1)))) }, label: "filter \(k)")
        }
        try ImageGridRecord(layer: "conv1", images: images).write(to: folder + "/filters.json")
    }
    return epochs
}

/// Parses `text` as XML and returns every element's name and attributes in document order, plus
/// the text inside each <title>. Fails the test (and returns nil) when it is not well-formed.
final class XMLCollector: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var titles: [String] = []
    private var inTitle = false

    static func parse(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) -> XMLCollector? {
        let collector = XMLCollector()
        let parser = XMLParser(data: Foundation.Data(text.utf8))
        parser.delegate = collector
        guard parser.parse() else {
            XCTFail("\(what) is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "unknown") at line \(parser.lineNumber)",
                    file: file, line: line)
            return nil
        }
        return collector
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append((name, attributes))
        if name == "title" { inTitle = true; titles.append("") }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "title" { inTitle = false }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inTitle { titles[titles.count - 1] += string }
    }

    func named(_ name: String) -> [[String: String]] { elements.filter { $0.name == name }.map(\.attributes) }
}

