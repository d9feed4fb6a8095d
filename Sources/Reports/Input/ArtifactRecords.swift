// The JSON files that evaluation code writes beside metrics.jsonl for the report to draw:
//   confusion.json  {"classes": 10, "matrix": [[...]], "labels": [...]}  rows true, columns predicted
//   filters.json / features.json  {"layer": "conv1", "images": [{"width", "height", "values"}]}
// Codable both ways: `write(to:)` produces exactly what `load(path:)` reads and checks.

import Core
import Foundation
import NN

public struct ConfusionRecord: Codable, Equatable {
    public var classes: Int
    public var matrix: [[Int]]               // (classes, classes): [true][predicted] counts
    public var labels: [String]?             // class names; "0", "1", ... when absent

    public init(classes: Int, matrix: [[Int]], labels: [String]? = nil) {
        self.classes = classes
        self.matrix = matrix
        self.labels = labels
    }

    /// The matrix of `predicted` against `truth` (class indices in 0..<classes).
    public init(classes: Int, truth: [Int], predicted: [Int], labels: [String]? = nil) {
        var m = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (t, p) in zip(truth, predicted) where (0..<classes).contains(t) && (0..<classes).contains(p) { m[t][p] += 1 }
        self.init(classes: classes, matrix: m, labels: labels)
    }

    public var classLabels: [String] { labels ?? (0..<classes).map(String.init) }

    /// The off-diagonal cells with the highest counts (ties: lower true, then predicted label
    /// first), zero counts left out.
    public func mostConfused(_ count: Int = 5) -> [(truth: Int, predicted: Int, count: Int)] {
        var cells: [(truth: Int, predicted: Int, count: Int)] = []
        for (t, row) in matrix.enumerated() { for (p, n) in row.enumerated() where t != p && n > 0 { cells.append((t, p, n)) } }
        return Array(cells.sorted { ($1.count, $0.truth, $0.predicted) < ($0.count, $1.truth, $1.predicted) }.prefix(count))
    }

    public func write(to path: String) throws { try writeJSON(self, to: path) }

    public static func load(path: String) throws -> ConfusionRecord {
        let r: ConfusionRecord = try readJSON(path, shape: "{\"classes\": n, \"matrix\": [[n x n counts]], \"labels\": [n names]}")
        guard r.classes > 0, r.matrix.count == r.classes, r.matrix.allSatisfy({ $0.count == r.classes }) else {
            throw InputError("\(path): 'matrix' expected \(r.classes) rows of \(r.classes) counts")
        }
        if let labels = r.labels, labels.count != r.classes {
            throw InputError("\(path): 'labels' expected \(r.classes) names, got \(labels.count)")
        }
        return r
    }
}

public struct ImageGridRecord: Codable, Equatable {
    public struct Image: Codable, Equatable {
        public var width: Int
        public var height: Int
        public var values: [Float]           // (height, width), row-major
        public var label: String?            // a caption ("filter 3", "channel 0"); optional

        public init(width: Int, height: Int, values: [Float], label: String? = nil) {
            self.width = width
            self.height = height
            self.values = values
            self.label = label
        }
    }

    public var layer: String
    public var images: [Image]

    public init(layer: String, images: [Image]) {
        self.layer = layer
        self.images = images
    }

    /// The images normalised each to 0...255.
    public var grayImages: [GrayImage] { images.map { GrayImage.normalised(width: $0.width, height: $0.height, values: $0.values) } }

    public func write(to path: String) throws { try writeJSON(self, to: path) }

    public static func load(path: String) throws -> ImageGridRecord {
        let r: ImageGridRecord = try readJSON(path, shape: "{\"layer\": name, \"images\": [{\"width\": w, \"height\": h, \"values\": [w x h numbers]}]}")
        for (i, image) in r.images.enumerated() where image.width <= 0 || image.height <= 0 || image.values.count != image.width * image.height {
            throw InputError("\(path): images[\(i)] has \(image.values.count) values for \(image.width)x\(image.height)")
        }
        return r
    }
}

private func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    do {
        try encoder.encode(value).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw InputError("\(path): cannot be written (\(error.localizedDescription))")
    }
}

private func readJSON<T: Decodable>(_ path: String, shape: String) throws -> T {
    guard let data = FileManager.default.contents(atPath: path) else { throw InputError("\(path): cannot be read") }
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let DecodingError.keyNotFound(key, _) {
        throw InputError("\(path): missing key '\(key.stringValue)' (expected \(shape))")
    } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
        let at = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        throw InputError("\(path): \(at.isEmpty ? "top level" : at): wrong type (expected \(shape))")
    } catch {
        throw InputError("\(path): not valid JSON (expected \(shape))")
    }
}
