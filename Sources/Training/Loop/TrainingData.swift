// The three image sets of a run: training (minus the held-out validation tail), validation (the
// last `data.validation` training images, never trained on) and test.

import Core
import NN
import Datasets

public struct TrainingData {
    public var train: ImageSet
    public var validation: ImageSet?
    public var test: ImageSet

    public init(train: ImageSet, validation: ImageSet?, test: ImageSet) {
        self.train = train; self.validation = validation; self.test = test
    }

    public static func load(_ config: RunConfig) throws -> TrainingData {
        let dir = config.data.path
        let full = try MNIST.load(directory: dir, split: .train)
        let test = try MNIST.load(directory: dir, split: .test)
        let input = config.model.input
        guard input.c == full.channels, input.h == full.height, input.w == full.width else {
            throw InputError("\(config.source): model input [\(input.c), \(input.h), \(input.w)] does not match the data in \(dir) ([\(full.channels), \(full.height), \(full.width)])")
        }
        let classes = NetworkPlanClasses.of(config.model)
        if classes == 1 {
            guard config.data.positiveClass != nil else {
                throw InputError("\(config.source): data.positive_class: required for a 1-output (logistic) model: the digit that counts as positive")
            }
        } else if classes < full.classes {
            throw InputError("\(config.source): model has \(classes) outputs but \(dir) has \(full.classes) classes")
        }
        if config.data.validation == 0 { return TrainingData(train: full, validation: nil, test: test) }
        guard config.data.validation < full.count else {
            throw InputError("\(config.source): data.validation: \(config.data.validation) leaves no training images (the set has \(full.count))")
        }
        let (train, validation) = try splitValidation(full, validation: config.data.validation)
        return TrainingData(train: train, validation: validation, test: test)
    }
}

enum NetworkPlanClasses {
    static func of(_ spec: ModelSpec) -> Int { (try? NetworkPlan(spec).classes) ?? 0 }
}
