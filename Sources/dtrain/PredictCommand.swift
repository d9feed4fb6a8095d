// dtrain predict --checkpoint C IMAGE... [--json] [--top K]   and
// dtrain read-digits --checkpoint C PHOTO... [--json] [--annotate DIR] [--timings]
// Single-process commands (no communicator): images in, the model's answers out.

import Core
import ArgumentParser
import Foundation
import Training
import Reports

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify whole images (PNG, JPEG, PGM, PPM), one object each: digits prepared as MNIST was made, other models' images resized to their input.")

    @Option(name: .long, help: "Checkpoint file, or a run folder (its latest.safetensors).")
    var checkpoint: String

    @Argument(help: "Image files.")
    var images: [String]

    @Option(name: .long, help: "How many classes to list per image.")
    var top = 3

    @Flag(name: .long, help: "Print one JSON object per image.")
    var json = false

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("predict: give at least one IMAGE file") }
        try requirePositive(top, "--top", "number of classes")
    }

    func run() throws {
        let classifier = try CheckpointClassifier(checkpoint: checkpoint)
        for p in try DigitPrediction.run(images, classifier: classifier, top: top) {
            print(json ? p.json.text : p.line)
        }
    }
}

struct ReadDigits: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read-digits",
        abstract: "Find and read every handwritten digit on photographed pages, in reading order.")

    @Option(name: .long, help: "Checkpoint file, or a run folder (its latest.safetensors); the model must take 1x28x28.")
    var checkpoint: String

    @Argument(help: "Photos (JPEG, PNG, PGM, PPM).")
    var photos: [String]

    @Flag(name: .long, help: "Print one JSON object per photo.")
    var json = false

    @Option(name: .long, help: "Write DIR/<photo>.svg: the photo with each box and label (DIR/read-digits inside a run folder shows in its report).")
    var annotate: String?

    @Flag(name: .long, help: "Print decode, segmentation and inference times per photo on stderr.")
    var timings = false

    func validate() throws {
        guard !photos.isEmpty else { throw ValidationError("read-digits: give at least one PHOTO file") }
    }

    func run() throws {
        let classifier = try CheckpointClassifier(checkpoint: checkpoint)
        var written = Set<String>()
        for photo in photos {
            let (reading, decoded) = try PageReader.read(photo, classifier: classifier)
            print(json ? reading.json.text : reading.line)
            if timings { FileHandle.standardError.write(Data((reading.timingLine + "\n").utf8)) }
            if let annotate {
                let path = try AnnotatedPhoto.write(reading, photo: decoded, to: annotate, avoiding: written)
                written.insert(path)
            }
        }
    }
}
