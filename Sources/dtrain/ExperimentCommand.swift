// dtrain experiment FILE.yaml   and   dtrain report FOLDER

import Core
import ArgumentParser
import Foundation
import NN
import Training
import Reports
import Collective

struct ExperimentRun: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "experiment",
        abstract: "Run every variant of an experiment file at this world size, then write its report.")

    @Argument(help: "Experiment YAML (configs/experiments/*.yaml).") var file: String
    @Option(name: .customLong("set"), help: "Override a key in every variant (repeatable).") var overrides: [String] = []
    @Option(name: .long, help: "Run only the variants with these names (comma-separated).") var only: String?
    @Option(name: .long, help: "Experiment folder instead of the file's output.") var output: String?
    @OptionGroup var communicator: CommOptions

    func run() throws {
        try withCommunicator(communicator.comm) { comm in
            var experiment = try Experiment.load(path: file)
            if let output { experiment.output = output }
            let wanted = only.map { Set($0.split(separator: ",").map(String.init)) }
            let variants = experiment.variants.filter { wanted?.contains($0.name) ?? true }
            if let wanted, let missing = wanted.first(where: { w in !experiment.variants.contains { $0.name == w } }) {
                throw InputError("--only \(missing): no such variant in \(file) (have: \(experiment.variants.map(\.name).joined(separator: ", ")))")
            }
            // every variant's config is checked before the first one trains
            let configs = try variants.map { try experiment.config(for: $0, extra: overrides) }
            for (i, (variant, config)) in zip(variants, configs).enumerated() {
                if comm.rank == 0 { print("== \(experiment.name): variant \(variant.name) (\(i + 1)/\(variants.count)) ==") }
                let trainer = try Trainer(config: config, comm: comm, data: try TrainingData.load(config))
                trainer.initializeParameters()
                _ = try trainer.run()
            }
            if comm.rank == 0 {
                let written = try Report.build(folder: experiment.output, onSkip: warnSkipped)
                print("report: \(experiment.output)/report.html (\(written.count) files)")
            }
        }
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report",
        abstract: "Rebuild report.html, the plots and summary.md from one run folder or an experiment folder.")

    @Argument(help: "A run folder (with metrics.jsonl) or an experiment folder of runs.") var folder: String

    func run() throws {
        let written = try Report.build(folder: folder, onSkip: warnSkipped)
        print("wrote \(written.count) files; open \(folder)/report.html")
    }
}

/// One line on stderr for each thing a report left out (exit 0: the report was still written).
func warnSkipped(_ line: String) {
    FileHandle.standardError.write(Data("skipped: \(line)\n".utf8))
}
