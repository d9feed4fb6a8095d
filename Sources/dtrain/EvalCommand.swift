// dtrain eval --checkpoint FILE [--data DIR] [--split test|validation|train] [--limit N] [--json]   and   dtrain export --checkpoint FILE --to DIR

import Core
import ArgumentParser
import Foundation
import Training
import Collective

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a checkpoint on the test set (or its run's validation or training split): loss, top-1/top-5, confusion matrix, precision/recall.")

    @Option(name: .long, help: "Checkpoint file, or a run folder (its latest.safetensors).")
    var checkpoint: String

    @Option(name: .long, help: "MNIST folder (default: the data.path saved in the checkpoint).")
    var data: String?

    @Option(name: .long, help: "Images to score: test, validation (the last data.validation training images, held out as the run held them out) or train (the images before them).")
    var split: EvaluationSplit = .test

    @Option(name: .long, help: "Score only the first N images of the split (positive).")
    var limit: Int?

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    @OptionGroup var communicator: CommOptions

    func validate() throws {
        if let limit { try requirePositive(limit, "--limit", "number of images") }
    }

    func run() throws {
        try withCommunicator(communicator.comm) { comm in
            let report = try evaluateCheckpoint(checkpoint, dataDirectory: data, split: split, limit: limit, comm: comm)
            if comm.rank == 0 { print(json ? report.json() : report.text(), terminator: json ? "\n" : "") }
        }
    }
}

extension EvaluationSplit: ExpressibleByArgument {}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a checkpoint's tensors as .npy files plus model.json (names, shapes) for NumPy/PyTorch.")

    @Option(name: .long, help: "Checkpoint file, or a run folder (its latest.safetensors).")
    var checkpoint: String

    @Option(name: .long, help: "Folder to write into (created if missing).")
    var to: String

    func run() throws {
        let written = try NumpyExport.export(checkpoint: checkpoint, to: to)
        print("wrote \(written.count) files to \(to)")
    }
}
