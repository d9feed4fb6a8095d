// EMNIST (Cohen et al. 2017) from its IDX files `emnist-<split>-<train|test>-<images-idx3|labels-idx1>-ubyte`,
// each gzipped or raw. EMNIST stores every image transposed relative to MNIST (pixel (x, y) at
// row x); like torchvision, the images are transposed back, so a stored (count, A, B) file gives
// (count, 1, B, A) images — decoded into memory through DatasetLoader.materialise. The `letters`
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
        let set = try DatasetLoader.materialise(key: key) {
            let labels = try readLabels(labelsPath, split: split)
            let dims = try MNIST.imageDimensions(imagesPath)
            guard dims[0] == labels.count else {
                throw InputError("\(imagesPath) has \(dims[0]) images but \(labelsPath) has \(labels.count) labels: expected equal counts")
            }
            let pixels = try readTransposed(imagesPath, count: dims[0], rows: dims[1], columns: dims[2])
            return ImageSet(channels: 1, height: dims[2], width: dims[1], pixels: pixels, labels: labels, classes: split.classes)
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

    /// All `count` images of the IDX file `path` (gzipped or raw; header checked by the caller),
    /// each stored (rows, columns), returned transposed: (count, columns, rows) with
    /// out[i][c][r] = stored[i][r][c]. The file is streamed; a size that does not match is an InputError.
    static func readTransposed(_ path: String, count: Int, rows: Int, columns: Int) throws -> [UInt8] {
        let size = rows * columns, header = 4 + 4 * 3
        var pixels = [UInt8](repeating: 0, count: count * size)
        var seen = 0                                   // bytes of the (inflated) file so far
        try pixels.withUnsafeMutableBufferPointer { out in
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
        }
        guard seen - header == pixels.count else {
            throw InputError("\(path): truncated: expected \(pixels.count) bytes of data for \(count)x\(rows)x\(columns), found \(max(seen - header, 0))")
        }
        return pixels
    }

    /// The four files, train first, images before labels, each the .gz when present.
    static func sourceFiles(_ split: EMNISTSplit, directory: String) throws -> [String] {
        try DataSplit.allCases.flatMap { part in
            try [imagesFile(split, part), labelsFile(split, part)].map { try MNIST.resolve(directory: directory, name: $0) }
        }
    }
}
