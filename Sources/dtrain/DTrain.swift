// The dtrain executable: argument parsing only; the work lives in the modules.
// Exit codes (DESIGN.md): 0 success, 2 bad input, 3 training diverged, 1 anything else.

import Core
import ArgumentParser
import Foundation
import Training

struct DTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dtrain",
        abstract: "Data-parallel CNN training on MPI + OpenBLAS.",
        discussion: """
            Run under mpirun for data parallelism (mpirun -np 4 dtrain train --config configs/lenet5.yaml), \
            or as a single process without it. Exit codes: 0 ok, 2 bad input, 3 training diverged, 1 other.
            """,
        version: "dtrain \(dtrainVersion)",
        subcommands: [Train.self, Eval.self, Predict.self, ReadDigits.self, Inspect.self, Summary.self, Export.self, Bench.self, ExperimentRun.self, ReportCommand.self, Scale.self, SelfTestComm.self])
}

@main
enum Entry {
    static func main() {
        setvbuf(stdout, nil, _IOLBF, 0)
        // before anything runs an NN kernel: a build for AVX2+FMA on a CPU without them is one
        // clear line and exit 1, not a SIGILL later
        if let problem = cpuMismatch() { CommandFailure(message: problem, code: 1).exit() }
        if let problem = unknownSubcommand(Array(CommandLine.arguments.dropFirst())) {
            CommandFailure(message: problem, code: 2).exit()
        }
        var command: ParsableCommand
        do {
            command = try DTrain.parseAsRoot()
        } catch {
            exitForHelp(error)
            CommandFailure.arguments(error).exit()
        }
        do {
            try command.run()
        } catch {
            exitForHelp(error)  // --help and `dtrain help` are commands whose run() throws the help text
            CommandFailure.from(error).exit()
        }
    }

    /// Prints the help text (or --version's line) and exits 0 when `error` is the parser's request for it.
    private static func exitForHelp(_ error: Error) {
        guard DTrain.exitCode(for: error) == .success, !(error is CommandFailure) else { return }
        print(DTrain.fullMessage(for: error))
        exit(0)
    }
}
