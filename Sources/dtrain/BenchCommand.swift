// dtrain bench train --config F [--steps N] [--json],  dtrain bench conv --input C,H,W --out O --kernel K ...
// and dtrain bench comm [--sizes 4,64,1K,...] [--repeats N] [--save FILE] [--algorithm A]: allreduce
// time per message size at this world size, with Open MPI's own choice or one algorithm forced
// (OMPI_MCA_coll_tuned_* set before MPI starts), and that algorithm's fitted alpha and beta.

import Core
import ArgumentParser
import Foundation
import NN
import Training
import Collective

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training throughput, per-layer GFLOP/s, single convolutions and the allreduce.",
        subcommands: [BenchTrain.self, BenchConv.self, BenchComm.self])
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train",
        abstract: "Images/s of the real training step at this world size, per-layer times, the gradient exchange against a bare allreduce, sgemm yardstick, peak RSS.",
        discussion: """
            Under mpirun, the exchange per step (rank 0's time in it, entered once every rank is past the \
            stall check; median, mean, p90 over the timed steps) is compared with a bare MPI_Allreduce of the \
            same number of bytes timed as `dtrain bench comm` times it (after a barrier, slowest rank, median), \
            back to back after the timed steps; then, for train.allreduce flat, with 2 x --steps more steps \
            that alternate a bare allreduce of the exchange buffer right after backward with the exchange, \
            both issued under the same conditions.
            """)

    @Option(name: .long, help: "Run config YAML.") var config: String = "configs/lenet5.yaml"
    @Option(name: .customLong("set"), help: "Override a config key (repeatable).") var overrides: [String] = []
    @Option(name: .long, help: "Measured steps.") var steps: Int = 200
    @Option(name: .long, help: "Warm-up steps (not measured).") var warmup: Int = 20
    @Flag(name: .long, help: "Print one JSON object.") var json = false
    @OptionGroup var communicator: CommOptions

    func validate() throws {
        try requirePositive(steps, "--steps", "number of steps")
        try requireNonNegative(warmup, "--warmup", "number of steps")
    }

    func run() throws {
        try withCommunicator(communicator.comm) { comm in
            let runConfig = try RunConfig.load(path: config, overrides: overrides)
            let data = try TrainingData.load(runConfig)
            let result = try benchmarkTraining(config: runConfig, comm: comm, data: data, steps: steps, warmup: warmup)
            if comm.rank == 0 { print(json ? result.json() : result.text(), terminator: json ? "\n" : "") }
        }
    }
}

struct BenchConv: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conv",
        abstract: "GFLOP/s of one convolution shape (forward, backward) against sgemm in the same process.")

    @Option(name: .long, help: "Input C,H,W (default: AlexNet conv2's 96,27,27).") var input: String = "96,27,27"
    @Option(name: .long, help: "Output channels.") var out: Int = 256
    @Option(name: .long, help: "Square kernel size.") var kernel: Int = 5
    @Option(name: .long, help: "Stride.") var stride: Int = 1
    @Option(name: .long, help: "Padding.") var pad: Int = 2
    @Option(name: .long, help: "Batch size.") var batch: Int = 64
    @Option(name: .long, help: "Timed passes.") var repeats: Int = 5

    func validate() throws {
        _ = try parseShape(input, "--input")
        try requirePositive(out, "--out", "number of channels")
        try requirePositive(kernel, "--kernel", "size")
        try requirePositive(stride, "--stride", "stride")
        try requireNonNegative(pad, "--pad", "padding")
        try requirePositive(batch, "--batch", "batch size")
        try requirePositive(repeats, "--repeats", "number of passes")
    }

    func run() throws {
        let r = try benchmarkConv(input: try parseShape(input, "--input"), out: out, kernel: kernel, stride: stride,
                                  pad: pad, batch: batch, repeats: repeats)
        print(String(format: "conv %@ -> %d, %dx%d s%d p%d, batch %d: forward %.1f GFLOP/s, backward %.1f GFLOP/s; sgemm %.1f GFLOP/s (forward %.0f%%, backward %.0f%%)",
                     input, out, kernel, kernel, stride, pad, batch, r.forwardGFLOPs, r.backwardGFLOPs, r.sgemmGFLOPs,
                     100 * r.forwardGFLOPs / r.sgemmGFLOPs, 100 * r.backwardGFLOPs / r.sgemmGFLOPs))
    }
}

struct BenchComm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "comm",
        abstract: "Allreduce latency and bandwidth over message sizes at this world size; fits the algorithm's alpha and beta.",
        discussion: """
            Run under mpirun (mpirun -np 2 dtrain bench comm --save runs/comm-fit.json). Each size is timed \
            after a barrier; the slowest rank's time counts, and the median over repeats is reported. The fit \
            is T(n) = a(n)·alpha + b(n)·beta, a and b the latency steps and bytes sent of the algorithm that \
            runs at n (docs/scaling.md), least squares on the relative error. --algorithm other than default \
            sets OMPI_MCA_coll_tuned_use_dynamic_rules=1 and OMPI_MCA_coll_tuned_allreduce_algorithm=N before \
            MPI starts (the same as mpirun --mca coll_tuned_use_dynamic_rules 1 --mca \
            coll_tuned_allreduce_algorithm N); default clears both, so Open MPI's fixed rules decide.
            """)

    @Option(name: .long, help: "Message sizes in bytes, multiples of 4 (K = KiB, M = MiB). Default: 4 B to 64 MiB in powers of 4.")
    var sizes: String?
    @Option(name: .long, help: "Timed repeats per size.") var repeats: Int = 20
    @Option(name: .long, help: "Warm-up allreduces per size (not timed).") var warmup: Int = 3
    @Flag(name: .long, help: "Print one JSON object.") var json = false
    @Option(name: .long, help: "Save the fit as JSON here (read by dtrain summary --world and dtrain scale).") var save: String?
    @Option(name: .long, help: "Allreduce Open MPI runs: default (its fixed rules) or one forced: ring, recursive-doubling, rabenseifner, reduce-bcast, basic-linear.")
    var algorithm: String = "default"
    @OptionGroup var communicator: CommOptions

    /// The choice, and the coll/tuned algorithm number that forces it (nil for default).
    func forcedAlgorithm() throws -> (choice: AllreduceChoice, number: Int?) {
        let measurable = "default, " + AllreduceAlgorithm.allCases.filter { OpenMPITunedAllreduce.number(forcing: $0) != nil }
            .map(\.rawValue).joined(separator: ", ")
        guard let choice = try? AllreduceChoice(parsing: algorithm) else {
            throw InputError("--algorithm: unknown allreduce algorithm '\(algorithm)'; expected one of: \(measurable)")
        }
        guard case .forced(let a) = choice else { return (choice, nil) }
        guard let number = OpenMPITunedAllreduce.number(forcing: a) else {
            throw InputError("--algorithm: \(a.rawValue) is not an Open MPI coll/tuned algorithm and cannot be measured; expected one of: \(measurable)")
        }
        return (choice, number)
    }

    func validate() throws {
        try requirePositive(repeats, "--repeats", "number of repeats")
        do { _ = try forcedAlgorithm() } catch let e as InputError { throw ValidationError(e.message) }
        try requireNonNegative(warmup, "--warmup", "number of allreduces")
        if let sizes {
            do { _ = try parseByteSizes(sizes) } catch let e as InputError { throw ValidationError(e.message) }
        }
    }

    func run() throws {
        let (choice, number) = try forcedAlgorithm()
        // read by Open MPI when MPI starts (in withCommunicator), as mpirun --mca would set them
        if let number {
            setenv("OMPI_MCA_coll_tuned_use_dynamic_rules", "1", 1)
            setenv("OMPI_MCA_coll_tuned_allreduce_algorithm", "\(number)", 1)
        } else {
            unsetenv("OMPI_MCA_coll_tuned_use_dynamic_rules")
            unsetenv("OMPI_MCA_coll_tuned_allreduce_algorithm")
        }
        try withCommunicator(communicator.comm) { comm in
            let bytes = try sizes.map(parseByteSizes) ?? defaultAllreduceSizes
            guard comm.size > 1 else {
                print("world size 1: an allreduce of one rank moves nothing, so there is nothing to measure; "
                      + "run it under mpirun, e.g. mpirun -np 2 dtrain bench comm")
                return
            }
            let samples = benchmarkAllreduce(comm: comm, sizes: bytes, repeats: repeats, warmup: warmup)
            guard comm.isRoot else { return }
            let fit = try? RingFit(samples: samples, ranks: comm.size, algorithm: choice)
            if json {
                print(allreduceJSON(samples: samples, fit: fit, ranks: comm.size, repeats: repeats, algorithm: choice))
            } else {
                print(allreduceReport(samples: samples, fit: fit, ranks: comm.size, repeats: repeats, warmup: warmup, algorithm: choice),
                      terminator: "")
            }
            if let save {
                guard let fit else { throw InputError("--save \(save): no fit (needs at least two message sizes that take longer as they grow)") }
                try CommFitFile.save(fit, host: "\(comm.kind) on \(ProcessInfo.processInfo.hostName)", to: save)
                if !json { print("saved the fit to \(save)") }
            }
        }
    }
}
