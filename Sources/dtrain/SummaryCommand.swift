// dtrain summary MODEL.yaml [--input C,H,W] [--json]: torchsummary's table from the spec alone
// (nothing is allocated, so VGG-16 and AlexNet summarise instantly).

import ArgumentParser
import Foundation
import NN

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each layer's output shape and parameter counts (torchsummary's table).")

    @Argument(help: "Model spec YAML (configs/models/*.yaml).")
    var model: String

    @Option(name: .long, help: "Input shape C,H,W instead of the spec's.")
    var input: String?

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
            let summary = ModelSummary(plan: try NetworkPlan(spec, input: shape))
            print(json ? summary.json() : summary.table(), terminator: json ? "\n" : "")
        } catch {
            throw CommandFailure.from(error)
        }
    }
}
