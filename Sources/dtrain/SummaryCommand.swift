// dtrain summary FILE [--input C,H,W] [--world N [--fit FILE]] [--json]: torchsummary's table
// from the spec alone; FILE is a model spec, a run config (its model) or a checkpoint (the model
// saved in it), recognised by content (Training/Config/ModelSource.swift) (nothing is allocated, so VGG-16 and AlexNet summarise instantly); --world adds
// the gradient bytes exchanged per step and the predicted ring-allreduce time.

import Core
import ArgumentParser
import Foundation
import NN
import Training

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each layer's output shape and parameter counts (torchsummary's table).")

    @Argument(help: "Model spec (configs/models/*.yaml), run config (configs/*.yaml: its model) or checkpoint (.safetensors, or a run folder: the model saved in it).")
    var model: String

    @Option(name: .long, help: "Input shape C,H,W instead of the spec's.")
    var input: String?

    @Option(name: .long, help: "World size: add the gradient bytes each step exchanges and the predicted allreduce time.")
    var world: Int?

    @Option(name: .long, help: "Allreduce fit from dtrain bench comm --save (default: runs/comm-fit.json when present, else 5 us / 10 Gb/s).")
    var fit: String?

    @Option(name: .long, help: "Allreduce algorithm to price with --world: default (Open MPI's choice), \(AllreduceAlgorithm.names).")
    var algorithm: String = "default"

    @Option(name: .long, help: "Per-rank batch: add what training allocates per rank (the memory pre-flight's estimate).")
    var batch: Int?

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        if let input { _ = try parseShape(input, "--input") }
        if let world { try requirePositive(world, "--world", "number of ranks") }
        if let batch { try requirePositive(batch, "--batch", "batch size") }
        if fit != nil && world == nil { throw ValidationError("--fit needs --world N") }
        do { _ = try AllreduceChoice(parsing: algorithm) } catch let e as InputError { throw ValidationError(e.message) }
    }

    func run() throws {
        let spec = try ModelSource.load(path: model).spec
        let shape = try input.map { try parseShape($0, "--input") }
        let plan = try NetworkPlan(spec, input: shape)
        var summary = ModelSummary(plan: plan)
        if let batch { summary.memory = .model(plan, batch: batch); summary.memoryBatch = batch }
        if let world {
            let network = try summaryNetwork(fitPath: fit)
            summary.exchange = gradientExchange(parameters: summary.totalParams, world: world, network: network.network,
                                                choice: try AllreduceChoice(parsing: algorithm), fit: network.fit, source: network.source)
        }
        print(json ? summary.json() : summary.table(), terminator: json ? "\n" : "")
    }
}
