// Which images `dtrain eval --split` scores: the test set, or the training split divided as the
// checkpoint's run divided it (TrainingData.load, Datasets/Split.swift): `validation` is the last
// data.validation training images, never trained on; `train` the images before them. `--limit N`
// keeps the first N images of the chosen split (all of them when it has fewer).

import Core
import NN
import Datasets

public enum EvaluationSplit: String, CaseIterable, Sendable {
    case test, validation, train

    /// The key prefix of this split's numbers in metrics.jsonl and `eval --json` (test_, val_, train_).
    public var keyPrefix: String { self == .validation ? "val" : rawValue }

    /// This split's images for `config` (whose model gives the input shape), the split's full
    /// size before `limit`, and the dataset's class names.
    func images(_ config: RunConfig, limit: Int?) throws -> (set: ImageSet, total: Int, classNames: [String]?) {
        let input = config.model.input, data = config.data
        let labelled = try DatasetLoader.load(data.dataset, path: data.path, split: self == .test ? .test : .train,
                                              input: (input.c, input.h, input.w))
        var set = labelled.images
        if self == .validation, data.validation == 0 {
            throw InputError("\(config.source): data.validation is 0: the run held out no validation images (use --split test or train)")
        }
        if self != .test, data.validation > 0 {
            guard data.validation < set.count else {
                throw InputError("\(config.source): data.validation: \(data.validation) leaves no training images (\(data.path) has \(set.count))")
            }
            let cut = try splitValidation(set, validation: data.validation)
            set = self == .validation ? cut.validation : cut.train
        }
        let total = set.count
        if let limit, limit < total { set = set.subset(0 ..< limit) }
        return (set, total, labelled.classNames)
    }
}
