// dtrain inspect --checkpoint C (--index N | --image FILE) [--layers a,b] [--data DIR] [--out DIR]
// A single-process command (no communicator): one digit's feature maps and the first layer's
// filters from an existing checkpoint, as SVG and PNG (Training/Inference/Inspection.swift draws
// nothing; Reports/Report/InspectionFigures.swift writes the files).

import Core
import ArgumentParser
import Foundation
import Training
import Reports

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw one digit's feature maps at any layer and the first layer's filters from a checkpoint (SVG and PNG).")

    @Option(name: .long, help: "Checkpoint file, or a run folder (its latest.safetensors).")
    var checkpoint: String

    @Option(name: .long, help: "Show image N of the checkpoint's test set (0-based).")
    var index: Int?

    @Option(name: .long, help: "Show this image file instead (PNG, JPEG, PGM, PPM; one digit, prepared as predict prepares it).")
    var image: String?

    @Option(name: .long, help: "Comma-separated layer names (see dtrain summary); every channel of each is drawn. Default: every layer up to the first flat one, 16 channels each.")
    var layers: String?

    @Option(name: .long, help: "Dataset folder for --index (default: the data.path saved in the checkpoint).")
    var data: String?

    @Option(name: .long, help: "Folder to write features.svg/.png and filters.svg/.png into (created if missing).")
    var out = "inspect"

    func validate() throws {
        switch (index, image) {
        case (nil, nil): throw ValidationError("inspect: give --index N (a test-set image) or --image FILE")
        case (.some, .some): throw ValidationError("inspect: give --index or --image, not both")
        default: break
        }
        if let index { try requireNonNegative(index, "--index", "test-set index") }
        if let layers { _ = try layerNames(layers) }
        guard !out.isEmpty else { throw ValidationError("--out: expected a folder name") }
    }

    /// "a,b" as layer names; throws on an empty list or an empty name.
    private func layerNames(_ text: String) throws -> [String] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.contains(where: \.isEmpty) else {
            throw ValidationError("--layers \(text): expected comma-separated layer names, e.g. conv1,conv2")
        }
        return names
    }

    func run() throws {
        let digit: Inspection.Digit = image.map { .image($0) } ?? .testIndex(index ?? 0)
        let inspection = try Inspection.run(checkpoint: checkpoint, digit: digit, layers: try layers.map(layerNames),
                                            dataDirectory: data)
        let written = try InspectionFigures.write(features: inspection.features, filters: inspection.filters,
                                                  digit: inspection.digitName, model: inspection.model, to: out)
        print("\(inspection.digitName): wrote \(written.joined(separator: ", "))")
    }
}
