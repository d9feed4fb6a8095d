// EMNIST (Cohen et al. 2017) from its IDX files `emnist-<split>-<train|test>-<images-idx3|labels-idx1>-ubyte`,
// each gzipped or raw. EMNIST stores every image transposed relative to MNIST (pixel (x, y) at
// row x); like torchvision, the images are transposed back, so a stored (count, A, B) file gives
// (count, 1, B, A) images — decoded straight into the PixelCache through DatasetLoader.materialise,
// after the header's shape is checked against the file's size (StoredSize) and the cache's
// per-image limit, so nothing is reserved for a size the file cannot hold. The `letters`
// split stores labels 1...26, loaded as 0...25; the other splits' labels are checked against
// their class count. Class names are torchvision's (letters: "a"..."z").

import Core

enum EMNIST {
    static func imagesFile(_ split: EMNISTSplit, _ part: DataSplit) -> String { "emnist-\(split.rawValue)-\(part.rawValue)-images-idx3-ubyte" }
    static func labelsFile(_ split: EMNISTSplit, _ part: DataSplit) -> String { "emnist-\(split.rawValue)-\(part.rawValue)-labels-idx1-ubyte" }

    static func classNames(_ split: EMNISTSplit) -> [String] {
        let digits = (0 ..< 10).map(String.init)
        let upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".map(String.init)
        let lower = "abcdefghijklmnopqrstuvwxyz".map(String.init)
        switch split {
        case .digits, .mnist: return digits
        case .byclass: return digits + upper + lower
        case .balanced, .bymerge: return digits + upper + "abdefghnqrt".map(String.init)
        case .letters: return lower
        }
    }

    static func load(_ split: EMNISTSplit, directory: String, split part: DataSplit) throws -> LabelledImages {
        let imagesPath = try MNIST.resolve(directory: directory, name: imagesFile(split, part))
        let labelsPath = try MNIST.resolve(directory: directory, name: labelsFile(split, part))
        let key = try DatasetLoader.materialiseKey("emnist-\(split.rawValue)-\(part.rawValue)", files: [imagesPath, labelsPath])
        // the shape from the header (sides > 0, product without overflow), checked against the
        // file's size before the cache reserves it; the cache checks the bytes per image
        let dims = try MNIST.imageDimensions(imagesPath)
        try StoredSize.check(imagesPath, header: 4 + 4 * 3, payload: dims.reduce(1, *),
                             shape: dims.map(String.init).joined(separator: "x"))
        let set = try DatasetLoader.materialise(key: key, count: dims[0], classes: split.classes, channels: 1,
                                                height: dims[2], width: dims[1]) { pixels, labels in
            let read = try readLabels(labelsPath, split: split)
            guard read.count == dims[0] else {
                throw InputError("\(imagesPath) has \(dims[0]) images but \(labelsPath) has \(read.count) labels: expected equal counts")
            }
            _ = labels.update(from: read)
            try readTransposed(imagesPath, rows: dims[1], columns: dims[2], into: pixels)
        }
        return LabelledImages(images: set, classNames: classNames(split))
    }

    /// The labels, letters shifted from 1...26 to 0...25; any other value is an InputError.
    static func readLabels(_ path: String, split: EMNISTSplit) throws -> [Int32] {
        let idx = try parseIDX(readMaybeGzip(path: path), file: path, expectDims: 1)
        let shift = split == .letters ? 1 : 0
        let valid = shift ..< split.classes + shift
        if let bad = idx.bytes.firstIndex(where: { !valid.contains(Int($0)) }) {
            throw InputError("\(path): label \(idx.bytes[bad]) at index \(bad): expected \(valid.lowerBound)...\(valid.upperBound - 1) (EMNIST \(split.rawValue))")
        }
        return idx.bytes.map { Int32($0) - Int32(shift) }
    }

    /// The images of the IDX file `path` (gzipped or raw; header checked by the caller), each
    /// stored (rows, columns), written transposed to `out` (count x columns x rows, count =
    /// out.count / (rows x columns)) with out[i][c][r] = stored[i][r][c]. The file is streamed; a
    /// payload of another size than out.count is an InputError.
    static func readTransposed(_ path: String, rows: Int, columns: Int, into out: UnsafeMutableBufferPointer<UInt8>) throws {
        let size = rows * columns, header = 4 + 4 * 3, count = out.count / size
        var seen = 0                                   // bytes of the (inflated) file so far
        try streamMaybeGzip(path: path) { chunk in
            for k in 0 ..< chunk.count {
                let at = seen + k - header          // offset in the stored payload
                guard at >= 0 else { continue }
                guard at < out.count else {
                    throw InputError("\(path): trailing data: expected \(out.count) bytes of data for \(count)x\(rows)x\(columns)")
                }
                let image = at / size, r = (at % size) / columns, c = at % columns
                out[image * size + c * rows + r] = chunk[k]
            }
            seen += chunk.count
        }
        guard seen - header == out.count else {
            throw InputError("\(path): truncated: expected \(out.count) bytes of data for \(count)x\(rows)x\(columns), found \(max(seen - header, 0))")
        }
    }

    /// The four files, train first, images before labels, each the .gz when present.
    static func sourceFiles(_ split: EMNISTSplit, directory: String) throws -> [String] {
        try DataSplit.allCases.flatMap { part in
            try [imagesFile(split, part), labelsFile(split, part)].map { try MNIST.resolve(directory: directory, name: $0) }
        }
    }
}
