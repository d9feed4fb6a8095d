// The datasets stored as IDX pairs under MNIST's file names (train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each gzipped or raw):
// MNIST, Fashion-MNIST and KMNIST (10 classes each), and `idx`, any such pair. For `idx` the class
// count is the largest label in either split's label file + 1 (so train and test agree), and the
// image file is (count, H, W), one channel, or (count, C, H, W). The images are copied (a .gz
// inflated) once into the node's PixelCache and mapped from there (MNIST.loadPair).

import Core

enum IDXFamily {
    /// torchvision's FashionMNIST.classes.
    static let fashionMNISTClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    /// torchvision's KMNIST.classes (romanised hiragana).
    static let kmnistClasses = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]

    /// MNIST, Fashion-MNIST or KMNIST: 10 classes, labels checked to be 0...9.
    static func loadNamed(_ name: DatasetName, directory: String, split: DataSplit) throws -> LabelledImages {
        let names: [String]
        switch name {
        case .fashionMNIST: names = fashionMNISTClasses
        case .kmnist: names = kmnistClasses
        default: names = LabelledImages.numbered(MNIST.classes)
        }
        return LabelledImages(images: try MNIST.load(directory: directory, split: split), classNames: names)
    }

    /// Any IDX pair: classes = max label over both splits + 1, named "0", "1", ...
    static func loadAny(directory: String, split: DataSplit) throws -> LabelledImages {
        var classes = 0
        for s in DataSplit.allCases {
            let path = try MNIST.resolve(directory: directory, name: s.labelsFile)
            let labels = try parseIDX(readMaybeGzip(path: path), file: path, expectDims: 1)
            classes = max(classes, Int(labels.bytes.max() ?? 0) + 1)
        }
        let set = try MNIST.loadPair(directory: directory, split: split, classes: classes, imageDims: 3 ... 4)
        return LabelledImages(images: set, classNames: LabelledImages.numbered(classes))
    }

    /// The four files, train first, images before labels, each the .gz when present.
    static func sourceFiles(directory: String) throws -> [String] {
        try DataSplit.allCases.flatMap { split in
            try [split.imagesFile, split.labelsFile].map { try MNIST.resolve(directory: directory, name: $0) }
        }
    }
}
