// Files written beside metrics.jsonl at the end of training for the report, as the records that
// Reports reads back (Core/Records/ArtifactRecords.swift), each replaced atomically:
//   confusion.json  ConfusionRecord: rows = true label, labels "0", "1", ...
//   filters.json    ImageGridRecord: the first conv's filters (input channel 0)
//   features.json   ImageGridRecord: one test digit's feature maps after each spatial layer
// The images themselves come from FeatureMaps.swift, which `dtrain inspect` shares.

import Core
import Foundation
import NN
import Datasets

enum Artifacts {
    static func writeConfusion(_ result: EvaluationResult, folder: String) throws {
        guard let m = result.confusion else { return }
        let k = result.classes
        let matrix = (0..<k).map { t in Array(m[(t * k)..<((t + 1) * k)]) }
        try ConfusionRecord(classes: k, matrix: matrix, labels: (0..<k).map(String.init)).write(to: folder + "/confusion.json")
    }

    /// The first convolution's filters, one image per output channel (input channel 0).
    static func writeFilters(_ network: Network, folder: String) throws {
        guard let record = FeatureMaps.filters(network) else { return }
        try record.write(to: folder + "/filters.json")
    }

    /// One test digit's feature maps after each spatial layer (at most 8 channels per layer).
    static func writeFeatures(_ network: Network, digit: ImageSet, normalization: Normalization?, folder: String) throws {
        guard digit.count > 0 else { return }
        let loader = BatchLoader(set: digit, capacity: 1, normalization: normalization, positiveClass: nil)
        let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        defer { scratch.deallocate() }
        try loader.load(range: 0..<1, scratch: scratch)
        let images = FeatureMaps.capture(network, input: loader.x.pointer, inputLabel: "input (label \(digit.labels[0]))",
                                         layers: FeatureMaps.spatialLayers(network), channelsPerLayer: 8).flatMap(\.images)
        try ImageGridRecord(layer: "test digit 0", images: images).write(to: folder + "/features.json")
    }
}
