// `dtrain eval`: loads a checkpoint's model (its saved config has the spec inlined), scores the
// test set (or the run's validation or training split, optionally only its first N images;
// EvaluationSplit.swift) divided across ranks, and derives the confusion matrix, per-class precision/recall and
// the most confused pairs.

import Core
import Foundation
import NN
import Datasets
import Collective

public struct ClassificationReport {
    public var checkpoint: String
    public var model: String
    public var result: EvaluationResult
    public var precision: [Double]      // percent, per predicted class (nan when never predicted)
    public var recall: [Double]         // percent, per true class
    public var confusedPairs: [(truth: Int, predicted: Int, count: Int)]
    /// Label k's name (the checkpoint's class_names, else the dataset's), or nil: labels print as numbers.
    public var classNames: [String]?
    /// The images scored: `result.count` of the split's `splitSize` (fewer with --limit).
    public var split: EvaluationSplit
    public var splitSize: Int

    public init(checkpoint: String, model: String, result: EvaluationResult, classNames: [String]? = nil,
                split: EvaluationSplit = .test, splitSize: Int? = nil) {
        self.checkpoint = checkpoint; self.model = model; self.result = result
        self.split = split; self.splitSize = splitSize ?? result.count
        self.classNames = classNames.map { LabelledImages.names($0, count: result.classes) }
        let k = result.classes, m = result.confusion ?? []
        precision = (0..<k).map { c in
            let column = (0..<k).reduce(0) { $0 + m[$1 * k + c] }
            return column > 0 ? 100 * Double(m[c * k + c]) / Double(column) : .nan
        }
        recall = (0..<k).map { c in
            let row = (0..<k).reduce(0) { $0 + m[c * k + $1] }
            return row > 0 ? 100 * Double(m[c * k + c]) / Double(row) : .nan
        }
        var pairs: [(truth: Int, predicted: Int, count: Int)] = []
        for t in 0..<k { for p in 0..<k where t != p && m[t * k + p] > 0 { pairs.append((t, p, m[t * k + p])) } }
        confusedPairs = Array(pairs.sorted { ($0.count, $1.truth, $1.predicted) > ($1.count, $0.truth, $0.predicted) }.prefix(5))
    }

    /// Label k as printed: "k" when the classes have no names or the names are the numbers, else "k name".
    func label(_ k: Int) -> String {
        guard let names = classNames, names[k] != String(k) else { return String(k) }
        return "\(k) \(names[k])"
    }

    /// The printed report: summary line, confusion matrix, precision/recall, confused pairs.
    public func text() -> String {
        let k = result.classes, m = result.confusion ?? []
        let scored = result.count < splitSize ? "first \(result.count) of \(splitSize) \(split.rawValue) images"
                                               : "\(result.count) \(split.rawValue) images"
        var out = String(format: "%@ (%@): %@  loss %.4f  top-1 %.2f%%  top-5 %.2f%%\n",
                         checkpoint, model, scored, result.loss, result.accuracy, result.top5)
        out += "\nconfusion matrix (rows: true label, columns: predicted)\n"
        let width = max(5, String(m.max() ?? 0).count + 1)
        func cell(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        out += "     " + (0..<k).map { cell(String($0)) }.joined() + "\n"
        for t in 0..<k {
            out += cell(String(t)) + (0..<k).map { cell(String(m[t * k + $0])) }.joined() + "\n"
        }
        let labels = (0..<k).map(label), labelWidth = max(5, labels.map(\.count).max() ?? 0)
        func padded(_ s: String) -> String { s + String(repeating: " ", count: max(0, labelWidth - s.count)) }
        out += "\n" + padded("class") + "  precision  recall\n"
        for c in 0..<k {
            out += padded(labels[c]) + String(format: "  %8.2f%%  %6.2f%%\n", precision[c], recall[c])
        }
        out += "\nmost confused (true -> predicted: count)\n"
        for p in confusedPairs { out += "  \(labels[p.truth]) -> \(labels[p.predicted]): \(p.count)\n" }
        return out
    }

    public func json() -> String {
        var o = JSONObject()
        o.set("checkpoint", .string(checkpoint))
        o.set("model", .string(model))
        o.set("split", .string(split.rawValue))
        o.set("count", .int(result.count))
        o.set("split_size", .int(splitSize))
        // the split's keys as metrics.jsonl spells them: test_loss, val_loss, train_loss, ...
        o.set("\(split.keyPrefix)_loss", .double(result.loss))
        o.set("\(split.keyPrefix)_accuracy", .double(result.accuracy))
        o.set("\(split.keyPrefix)_top5", .double(result.top5))
        let k = result.classes, m = result.confusion ?? []
        o.set("confusion", .array((0..<k).map { t in .array((0..<k).map { .int(m[t * k + $0]) }) }))
        o.set("precision", .array(precision.map { .double($0) }))
        o.set("recall", .array(recall.map { .double($0) }))
        if let classNames { o.set("class_names", .array(classNames.map { .string($0) })) }
        o.set("most_confused", .array(confusedPairs.map { p in
            var e = JSONObject(); e.set("true", .int(p.truth)); e.set("predicted", .int(p.predicted)); e.set("count", .int(p.count))
            return .object(e)
        }))
        return o.text
    }
}

/// Loads `checkpoint` (rank 0 reads, all ranks receive the weights and BatchNorm's statistics) and scores `split`
/// of `dataDirectory` (default: the saved config's data.path), its first `limit` images when given.
public func evaluateCheckpoint(_ checkpoint: String, dataDirectory: String?, split: EvaluationSplit = .test, limit: Int? = nil,
                               comm: Communicator) throws -> ClassificationReport {
    let point = try ResumePoint.read(checkpoint, comm: comm)
    var config = try RunConfig.fromCheckpoint(point, overrides: [])
    if let dataDirectory { config.data.path = dataDirectory }
    let network = Network(plan: try NetworkPlan(config.model))
    if comm.rank == 0 {
        let file = try Checkpoint.open(path: point.path, network: network, optimizer: nil)
        try Checkpoint.load(file, into: network, optimizer: nil)
    }
    comm.broadcast(network.parameters, root: 0)
    broadcastBatchNormState(network, comm: comm)
    let input = config.model.input
    let (images, splitSize, datasetClassNames) = try split.images(config, limit: limit)
    guard input.c == images.channels, input.h == images.height, input.w == images.width else {
        throw InputError("\(config.data.path): images are \(images.channels)x\(images.height)x\(images.width) but \(point.path) expects \(input.c)x\(input.h)x\(input.w)")
    }
    let evaluator = Evaluator(network: network, set: images, comm: comm, batch: config.train.evalBatch,
                              normalization: config.data.normalize, positiveClass: config.data.positiveClass)
    return ClassificationReport(checkpoint: point.path, model: config.model.name, result: try evaluator.run(confusion: true),
                                classNames: point.metadata.classNames ?? datasetClassNames, split: split, splitSize: splitSize)
}
