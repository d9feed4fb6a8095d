// dtrain train [--config FILE] [--set key=value ...] [--resume FILE|DIR] [--comm auto|local|mpi]

import ArgumentParser
import Foundation
import Training
import Collective

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model data-parallel (one replica per MPI rank).")

    @Option(name: .long, help: "Run config YAML (default configs/lenet5.yaml; with --resume, the checkpoint's own config).")
    var config: String?

    @Option(name: .customLong("set"), help: "Override a config key, e.g. --set train.lr=0.1 (repeatable).")
    var overrides: [String] = []

    @Option(name: .long, help: "Continue from a checkpoint FILE or a run folder's latest.safetensors.")
    var resume: String?

    @Option(name: .long, help: "Communicator: auto (MPI when started by mpirun), local or mpi.")
    var comm: CommKind = .auto

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        try withCommunicator(comm) { comm in
            let point = try resume.map { try ResumePoint.read($0, comm: comm) }
            var runConfig: RunConfig
            if let config {
                runConfig = try RunConfig.load(path: config, overrides: overrides)
            } else if let point {
                runConfig = try RunConfig.fromCheckpoint(point, overrides: overrides)
            } else {
                runConfig = try RunConfig.load(path: "configs/lenet5.yaml", overrides: overrides)
            }
            let note = try point.flatMap { try runConfig.adopt($0, worldSize: comm.size) }
            let data = try TrainingData.load(runConfig)
            let trainer = try Trainer(config: runConfig, comm: comm, data: data, quiet: quiet)
            if let note, !quiet { trainer.log.say(note) }
            if let point { try trainer.resume(from: point) } else { trainer.initializeParameters() }
            _ = try trainer.run()
        }
    }
}
