// The files written beside metrics.jsonl at the end of training (Training's Artifacts.swift) and
// drawn by the report (Reports' RunRecord): one type per file, shared by writer and reader.
//   confusion.json  {"classes": 10, "matrix": [[...]], "labels": [...]}  rows true, columns predicted
//   filters.json / features.json  {"layer": "conv1", "images": [{"width", "height", "values", "label"}]}
// Image values that are not finite are written as null and read back as NaN.

import Foundation

public struct ConfusionRecord: Codable, Equatable, Sendable {
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

    /// Replaces `path` atomically.
    public func write(to path: String) throws { try writeRecord(self, to: path) }

    public static func load(path: String) throws -> ConfusionRecord {
        let r = try readRecord(ConfusionRecord.self, path: path,
                               shape: "{\"classes\": n, \"matrix\": [[n x n counts]], \"labels\": [n names]}")
        guard r.classes > 0, r.matrix.count == r.classes, r.matrix.allSatisfy({ $0.count == r.classes }) else {
            throw InputError("\(path): 'matrix' expected \(r.classes) rows of \(r.classes) counts")
        }
        if let labels = r.labels, labels.count != r.classes {
            throw InputError("\(path): 'labels' expected \(r.classes) names, got \(labels.count)")
        }
        return r
    }
}

public struct ImageGridRecord: Codable, Equatable, Sendable {
    public struct Image: Codable, Equatable, Sendable {
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

        private enum CodingKeys: String, CodingKey { case width, height, values, label }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            width = try c.decode(Int.self, forKey: .width)
            height = try c.decode(Int.self, forKey: .height)
            guard c.contains(.values) else {
                throw DecodingError.keyNotFound(CodingKeys.values, .init(codingPath: c.codingPath, debugDescription: "values"))
            }
            values = try c.numbers(.values)
            label = try c.decodeIfPresent(String.self, forKey: .label)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(width, forKey: .width)
            try c.encode(height, forKey: .height)
            try c.encodeNumbers(values, forKey: .values)
            try c.encodeIfPresent(label, forKey: .label)
        }
    }

    public var layer: String
    public var images: [Image]

    public init(layer: String, images: [Image]) {
        self.layer = layer
        self.images = images
    }

    /// Replaces `path` atomically.
    public func write(to path: String) throws { try writeRecord(self, to: path) }

    public static func load(path: String) throws -> ImageGridRecord {
        let r = try readRecord(ImageGridRecord.self, path: path,
                               shape: "{\"layer\": name, \"images\": [{\"width\": w, \"height\": h, \"values\": [w x h numbers]}]}")
        for (i, image) in r.images.enumerated() where image.width <= 0 || image.height <= 0 || image.values.count != image.width * image.height {
            throw InputError("\(path): images[\(i)] has \(image.values.count) values for \(image.width)x\(image.height)")
        }
        return r
    }
}
