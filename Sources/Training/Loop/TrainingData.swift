// The three image sets of a run: training (minus the held-out validation tail), validation (the
// last `data.validation` training images, never trained on) and test, with the dataset's class
// names. Before any training the model is checked against the data: its input (C, H, W) must be
// both splits' image shape and its outputs at least the class count (exit 2 naming both).

import Core
import NN
import Datasets

public struct TrainingData {
    public var train: ImageSet
    public var validation: ImageSet?
    public var test: ImageSet
    /// Label k's name ("0"... when the dataset has none), e.g. for checkpoint metadata.
    public var classNames: [String]

    public init(train: ImageSet, validation: ImageSet?, test: ImageSet, classNames: [String]? = nil) {
        self.train = train; self.validation = validation; self.test = test
        self.classNames = classNames ?? (0 ..< train.classes).map(String.init)
    }

    public static func load(_ config: RunConfig) throws -> TrainingData {
        let dir = config.data.path, dataset = config.data.dataset
        let input = config.model.input
        let shape = (c: input.c, h: input.h, w: input.w)
        let labelled = try DatasetLoader.load(dataset, path: dir, split: .train, input: shape)
        let full = labelled.images
        let test = try DatasetLoader.load(dataset, path: dir, split: .test, input: shape).images
        for set in [full, test] {
            guard input.c == set.channels, input.h == set.height, input.w == set.width else {
                throw InputError("\(config.source): model input [\(input.c), \(input.h), \(input.w)] does not match the images of "
                                 + "\(dataset) in \(dir) ([\(set.channels), \(set.height), \(set.width)])")
            }
        }
        let classes = NetworkPlanClasses.of(config.model)
        if classes == 1 {
            guard let positive = config.data.positiveClass else {
                throw InputError("\(config.source): data.positive_class: required for a 1-output (logistic) model: the class that counts as positive")
            }
            guard positive < full.classes else {
                throw InputError("\(config.source): data.positive_class: \(positive) is not a class of \(dataset) (0...\(full.classes - 1))")
            }
        } else if classes < full.classes {
            throw InputError("\(config.source): model has \(classes) outputs but \(dataset) in \(dir) has \(full.classes) classes")
        }
        if config.data.validation == 0 {
            return TrainingData(train: full, validation: nil, test: test, classNames: labelled.classNames)
        }
        guard config.data.validation < full.count else {
            throw InputError("\(config.source): data.validation: \(config.data.validation) leaves no training images (the set has \(full.count))")
        }
        let (train, validation) = try splitValidation(full, validation: config.data.validation)
        return TrainingData(train: train, validation: validation, test: test, classNames: labelled.classNames)
    }
}

enum NetworkPlanClasses {
    static func of(_ spec: ModelSpec) -> Int { (try? NetworkPlan(spec).classes) ?? 0 }
}
