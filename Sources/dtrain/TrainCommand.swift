// dtrain train [--config FILE] [--set key=value ...] [--resume FILE|DIR] [--comm auto|local|mpi]

import Core
import ArgumentParser
import Foundation
import NN
import Training
import Collective

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model data-parallel (one replica per MPI rank).")

    @Option(name: .long, help: "Run config YAML (default configs/lenet5.yaml; with --resume, the checkpoint's own config).")
    var config: String?

    @Option(name: .customLong("set"), help: "Override a config key, e.g. --set train.lr=0.1 (repeatable).")
    var overrides: [String] = []

    @Option(name: .long, help: "Continue from a checkpoint FILE, a run folder's latest.safetensors, or 'auto': the config's output folder's latest if there is one (what launch/train --max-restarts uses).")
    var resume: String?

    @OptionGroup var communicator: CommOptions

    @Option(name: .long, help: "Write a Chrome trace-event JSON of the first --trace-steps steps (one track per rank).")
    var trace: String?

    @Option(name: .long, help: "Steps recorded by --trace (positive).")
    var traceSteps: Int = 50

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        try requirePositive(traceSteps, "--trace-steps", "number of steps")
    }

    func run() throws {
        try withCommunicator(communicator.comm) { comm in
            var point: ResumePoint? = nil
            var runConfig: RunConfig
            if resume == "auto" {
                runConfig = try RunConfig.load(path: config ?? "configs/lenet5.yaml", overrides: overrides)
                let latest = runConfig.output + "/latest.safetensors"
                let found = comm.broadcast(comm.rank == 0 && FileManager.default.fileExists(atPath: latest) ? latest : "", root: 0)
                if !found.isEmpty { point = try ResumePoint.read(found, comm: comm) }
            } else {
                point = try resume.map { try ResumePoint.read($0, comm: comm) }
                if let config {
                    runConfig = try RunConfig.load(path: config, overrides: overrides)
                } else if let point {
                    runConfig = try RunConfig.fromCheckpoint(point, overrides: overrides)
                } else {
                    runConfig = try RunConfig.load(path: "configs/lenet5.yaml", overrides: overrides)
                }
            }
            let note = try point.flatMap { try runConfig.adopt($0, worldSize: comm.size) }
            let data = try TrainingData.load(runConfig)
            let trainer = try Trainer(config: runConfig, comm: comm, data: data, quiet: quiet)
            try preflight(try Fingerprint.of(config: runConfig, parameterCount: trainer.network.parameterCount), comm: comm)
            if let note, !quiet { trainer.log.say(note) }
            if let trace { trainer.enableTrace(path: trace, steps: traceSteps) }
            if let point { try trainer.resume(from: point) } else { trainer.initializeParameters() }
            _ = try trainer.run()
        }
    }
}
