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

    /// Images transposed in chunks of this many (the chunk buffer is chunk x imageSize bytes).
    static let chunkImages = 1024

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
            let (raw, dims, header) = try MNIST.rawImageFile(imagesPath)
            guard dims[0] == labels.count else {
                throw InputError("\(imagesPath) has \(dims[0]) images but \(labelsPath) has \(labels.count) labels: expected equal counts")
            }
            let pixels = try readTransposed(PixelFile(path: raw, payloadOffset: header, imageSize: dims[1] * dims[2]),
                                            count: dims[0], rows: dims[1], columns: dims[2])
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

    /// All `count` images of `file`, each stored (rows, columns), returned transposed:
    /// (count, columns, rows) with out[i][c][r] = stored[i][r][c].
    static func readTransposed(_ file: PixelFile, count: Int, rows: Int, columns: Int) throws -> [UInt8] {
        let size = rows * columns
        var pixels = [UInt8](repeating: 0, count: count * size)
        let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkImages * size)
        defer { chunk.deallocate() }
        try pixels.withUnsafeMutableBufferPointer { out in
            var first = 0
            while first < count {
                let n = min(chunkImages, count - first)
                try file.read(image: first, count: n, into: chunk)
                for i in 0 ..< n {
                    let src = chunk + i * size, dst = out.baseAddress! + (first + i) * size
                    for r in 0 ..< rows {
                        for c in 0 ..< columns { dst[c * rows + r] = src[r * columns + c] }
                    }
                }
                first += n
            }
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
