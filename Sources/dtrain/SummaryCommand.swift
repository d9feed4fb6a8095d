// dtrain summary MODEL.yaml [--input C,H,W] [--world N [--fit FILE]] [--json]: torchsummary's table
// from the spec alone (nothing is allocated, so VGG-16 and AlexNet summarise instantly); --world adds
// the gradient bytes exchanged per step and the predicted ring-allreduce time.

import Core
import ArgumentParser
import Foundation
import NN
import Training

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each layer's output shape and parameter counts (torchsummary's table).")

    @Argument(help: "Model spec YAML (configs/models/*.yaml).")
    var model: String

    @Option(name: .long, help: "Input shape C,H,W instead of the spec's.")
    var input: String?

    @Option(name: .long, help: "World size: add the gradient bytes each step exchanges and the predicted allreduce time.")
    var world: Int?

    @Option(name: .long, help: "Allreduce fit from dtrain bench comm --save (default: runs/comm-fit.json when present, else 5 us / 10 Gb/s).")
    var fit: String?

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    func run() throws {
        do {
            let spec = try ModelSpec.load(path: model)
            var shape: Shape? = nil
            if let input {
                let dims = input.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard dims.count == 3, let c = dims[0], let h = dims[1], let w = dims[2], c > 0, h > 0, w > 0 else {
                    throw InputError("--input \(input): expected C,H,W, three positive integers (e.g. 3,227,227)")
                }
                shape = Shape(c, h, w)
            }
            var summary = ModelSummary(plan: try NetworkPlan(spec, input: shape))
            if let world {
                guard world >= 1 else { throw InputError("--world \(world): expected a positive number of ranks") }
                let network = try summaryNetwork(fitPath: fit)
                summary.exchange = gradientExchange(parameters: summary.totalParams, world: world,
                                                    network: network.model, source: network.source)
            } else if fit != nil {
                throw InputError("--fit needs --world N")
            }
            print(json ? summary.json() : summary.table(), terminator: json ? "\n" : "")
        } catch {
            throw CommandFailure.from(error)
        }
    }
}
