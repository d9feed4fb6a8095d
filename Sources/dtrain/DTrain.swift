// The dtrain executable: argument parsing only; the work lives in the modules.
// Exit codes (DESIGN.md): 0 success, 2 bad input, 3 training diverged, 1 anything else.

import Core
import ArgumentParser
import Foundation

struct DTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dtrain",
        abstract: "Data-parallel CNN training on MPI + OpenBLAS.",
        discussion: """
            Run under mpirun for data parallelism (mpirun -np 4 dtrain train --config configs/lenet5.yaml),
            or as a single process without it. Exit codes: 0 ok, 2 bad input, 3 training diverged, 1 other.
            """,
        subcommands: [Train.self, Eval.self, Summary.self, Export.self, Bench.self, ExperimentRun.self, ReportCommand.self, Scale.self, SelfTestComm.self])
}

@main
enum Entry {
    static func main() {
        setvbuf(stdout, nil, _IOLBF, 0)
        do {
            var command = try DTrain.parseAsRoot()
            try command.run()
        } catch {
            let code = DTrain.exitCode(for: error)
            if code == .success {
                print(DTrain.fullMessage(for: error))
                exit(0)
            }
            if let failure = error as? CommandFailure { failure.exit() }
            // an argument the parser refused: bad input
            FileHandle.standardError.write(Data((DTrain.fullMessage(for: error) + "\n").utf8))
            if error is ExitCode { exit(code.rawValue) }
            exit(2)
        }
    }
}
