// dtrain scale project [--bench F | --compute-ms-per-image X] [--fit F] [--algorithm A]: the weak-scaling
// projection to 8 ... 1024 ranks, priced for Open MPI's allreduce choice or the forced algorithm;
// dtrain scale report DIR: scale.csv / scale.md / scale.svg of a launch/scale sweep. Argument handling only: the model is Training/Scaling, the rendering Reports/Scaling.

import Core
import ArgumentParser
import Foundation
import NN
import Training
import Reports
import Collective

struct Scale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scaling projections past this machine, and the report of a launch/scale sweep.",
        subcommands: [ScaleProject.self, ScaleReportCommand.self])
}

/// What every projection needs besides the compute time: the models, the fit, the batch.
struct ProjectionOptions: ParsableArguments {
    @Option(name: .long, help: "Model spec whose gradient is projected.") var model: String = "configs/models/lenet5.yaml"
    @Option(name: .long, help: "A second model for contrast (its compute estimated from FLOPs at the sgemm rate); '' for none.")
    var contrast: String = "configs/models/alexnet.yaml"
    @Option(name: .long, help: "Allreduce fit (default: runs/comm-fit.json when present).") var fit: String?
    @Option(name: .long, help: "Images per rank per step (weak scaling).") var batch: Int = 64
    @Option(name: .long, help: "Allreduce algorithm priced: default (Open MPI 4.1.4's choice at each p), \(AllreduceAlgorithm.names).")
    var algorithm: String = "default"
    @Option(name: .long, help: "Gradient wire format priced: none (fp32), fp16 or bf16 (train.compress: 2 bytes a value).")
    var compress: String = "none"

    /// The 16-bit wire format, nil for fp32.
    var wire: HalfFormat? { HalfFormat(rawValue: compress) }

    func validate() throws {
        try requirePositive(batch, "--batch", "number of images")
        guard compress == "none" || HalfFormat(rawValue: compress) != nil else {
            throw ValidationError("--compress: expected none, fp16 or bf16, got '\(compress)'")
        }
        do { _ = try AllreduceChoice(parsing: algorithm) } catch let e as InputError { throw ValidationError(e.message) }
    }

    /// The line naming a fit measured with another algorithm or world size than it is applied to ("" if none).
    func fitNote(_ fit: RingFit?) throws -> String {
        guard let fit else { return "" }
        let note = CommFitFile.provenance(of: fit, appliedTo: try AllreduceChoice(parsing: algorithm), ranks: ScalingProjection.projectedRanks)
        return note.isEmpty ? "" : "measured fit: \(note)\n"
    }

    /// The saved fit, if one was named or sits at the default path.
    func loadFit() throws -> RingFit? {
        if let fit { return try CommFitFile.load(fit).fit }
        return FileManager.default.fileExists(atPath: CommFitFile.defaultPath) ? try CommFitFile.load(CommFitFile.defaultPath).fit : nil
    }

    /// One projection group per model: the measured one, then the contrast model at `sgemmGFLOPs`.
    func projections(compute: ComputeCost, sgemmGFLOPs: Double, fit: RingFit?) throws -> [[ScalingProjection]] {
        let networks = projectionNetworks(fit: fit)
        let choice = try AllreduceChoice(parsing: algorithm)
        let main = try NetworkPlan(ModelSpec.load(path: model))
        var groups = [networks.map { network -> ScalingProjection in
            var p = ScalingProjection(modelName: main.spec.name, parameters: main.parameterCount, compute: compute,
                                      batchPerRank: batch, network: network, choice: choice)
            p.wire = wire
            return p
        }]
        if !contrast.isEmpty, sgemmGFLOPs.isFinite, sgemmGFLOPs > 0 {
            let other = try NetworkPlan(ModelSpec.load(path: contrast))
            let cost = ComputeCost.estimated(plan: other, gflops: sgemmGFLOPs)
            groups.append(networks.map { network -> ScalingProjection in
                var p = ScalingProjection(modelName: other.spec.name, parameters: other.parameterCount, compute: cost,
                                          batchPerRank: batch, network: network, choice: choice)
                p.wire = wire
                return p
            })
        }
        return groups
    }
}

struct ScaleProject: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "project",
        abstract: "Predicted images/s and efficiency at 8 ... 1024 ranks on 10/100 Gb/s Ethernet and the measured fit.",
        discussion: "Without --bench or --compute-ms-per-image, measures compute per image here first (dtrain bench train, one process).")

    @OptionGroup var options: ProjectionOptions
    @Option(name: .long, help: "A dtrain bench train --json output (np=1) to take compute per image from.") var bench: String?
    @Option(name: .long, help: "Compute per image in ms, instead of measuring.") var computeMsPerImage: Double?
    @Option(name: .long, help: "sgemm GFLOP/s for the contrast model's estimate (default: measured here).") var sgemm: Double?
    @Option(name: .long, help: "Run config for the in-process measurement.") var config: String = "configs/lenet5.yaml"
    @Option(name: .long, help: "Also write the efficiency plot here (SVG).") var svg: String?

    func validate() throws {
        if let computeMsPerImage, !(computeMsPerImage > 0 && computeMsPerImage.isFinite) {
            throw ValidationError("--compute-ms-per-image \(computeMsPerImage): expected a positive number")
        }
        if let sgemm, !(sgemm > 0 && sgemm.isFinite) {
            throw ValidationError("--sgemm \(sgemm): expected a positive number of GFLOP/s")
        }
    }

    func run() throws {
        var compute: ComputeCost
        var gflops = sgemm ?? .nan
        if let computeMsPerImage {
            compute = ComputeCost(secondsPerImage: computeMsPerImage / 1000, source: "given on the command line")
        } else if let bench {
            guard let text = try? String(contentsOfFile: bench, encoding: .utf8) else { throw InputError("\(bench): cannot read") }
            let line = text.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? text
            let record = try TrainBenchRecord.decode(line, origin: bench)
            compute = try ComputeCost(bench: record, origin: bench)
            if sgemm == nil { gflops = record.sgemmGFLOPs }
        } else {
            var runConfig = try RunConfig.load(path: config, overrides: ["train.batch_size=\(options.batch)"])
            runConfig.train.maxSteps = nil
            let result = try benchmarkTraining(config: runConfig, comm: LocalCommunicator(),
                                               data: try TrainingData.load(runConfig), steps: 100, warmup: 10)
            compute = try ComputeCost(bench: result.record, origin: "dtrain bench train")
            if sgemm == nil { gflops = result.sgemmGFLOPs }
        }
        if !gflops.isFinite, !options.contrast.isEmpty { gflops = measureSGEMM() }
        let fit = try options.loadFit()
        let groups = try options.projections(compute: compute, sgemmGFLOPs: gflops, fit: fit)
        print(try options.fitNote(fit) + projectionReport(groups), terminator: "")
        if let svg {
            let report = ScalingReport(sweep: ScalingSweep(points: []), projections: groups, fit: nil, command: "", cores: 0)
            try Data(report.projectionSVG().utf8).write(to: URL(fileURLWithPath: svg), options: .atomic)
            print("wrote \(svg)")
        }
    }
}

struct ScaleReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report",
        abstract: "scale.csv, scale.md and scale.svg from a launch/scale folder (points.jsonl, comm-fit.json); link-<model>-np<N>.svg and the measured-against-projected table for launch/scale --link.")

    @Argument(help: "The sweep folder (runs/scale-<date>).") var folder: String
    @OptionGroup var options: ProjectionOptions
    @Option(name: .long, help: "The command quoted in scale.md.") var command: String = "launch/scale"
    @Option(name: .long, help: "Cores of the machine the sweep ran on (default: this one's).") var cores: Int?

    func validate() throws {
        if let cores { try requirePositive(cores, "--cores", "number of cores") }
    }

    func run() throws {
        let sweep = try ScalingSweep.load(folder: folder)
        let fitPath = options.fit ?? (FileManager.default.fileExists(atPath: folder + "/comm-fit.json") ? folder + "/comm-fit.json" : nil)
        let fit = try fitPath.map { try CommFitFile.load($0).fit } ?? options.loadFit()
        var groups: [[ScalingProjection]] = []
        if let compute = sweep.computeCost {
            let gflops = sweep.points.first { $0.ok && $0.ranks == 1 && $0.sgemmGFLOPs.isFinite }?.sgemmGFLOPs ?? .nan
            groups = try options.projections(compute: compute, sgemmGFLOPs: gflops, fit: fit)
        }
        var report = ScalingReport(sweep: sweep, projections: groups, fit: fit, command: command,
                                   cores: cores ?? ProcessInfo.processInfo.activeProcessorCount)
        let skipped: (String) -> Void = { FileHandle.standardError.write(Data("skipped: \($0)\n".utf8)) }
        report.links = LinkComparisons.build(sweep: sweep, folder: folder, onSkip: skipped)
        report.validations = AlgorithmValidation.load(folder: folder, onSkip: skipped)
        for path in try report.write(folder: folder) { print("wrote \(path)") }
        if !report.links.isEmpty { print(linkTable(report.links), terminator: "") }
        for v in report.validations {
            print(String(format: "algorithms at %@, np=%d: one joint fit (alpha %.2f us, %.2f GB/s, gamma %.3g s/B); worst |model/measured - 1| from 64 KiB: %.0f%%",
                         v.place, v.ranks, v.alpha * 1e6, 1 / v.beta / 1e9, v.gamma, 100 * v.worstGoalError))
        }
        if !groups.isEmpty {
            try Data(report.projectionSVG().utf8).write(to: URL(fileURLWithPath: folder + "/projection.svg"), options: .atomic)
            print("wrote \(folder)/projection.svg")
            print(try options.fitNote(fit) + projectionReport(groups), terminator: "")
        }
    }
}

/// The emulated-link points as printed by `dtrain scale report`: measured beside predicted.
func linkTable(_ links: [LinkComparison]) -> String {
    func f(_ v: Double) -> String { v.isFinite ? String(format: "%9.2f", v) : "        –" }
    func pct(_ v: Double) -> String { v.isFinite ? String(format: "%+6.0f%%", 100 * v) : "      –" }
    var out = "emulated links: measured beside projected (ms per step; error = predicted / measured - 1)\n"
    out += "link      model            wire  np   step ms  predicted   error  exchange  predicted   error\n"
    for c in links {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        out += pad(c.link, 9) + " " + pad(String(c.model.prefix(16)), 16) + " " + pad(c.compress == "none" ? "fp32" : c.compress, 5)
        out += String(format: " %2d ", c.ranks)
        out += "\(f(c.measuredStepMs))  \(f(c.predictedStepMs)) \(pct(c.stepError)) \(f(c.measuredExchangeMs))  \(f(c.predictedExchangeMs)) \(pct(c.exchangeError))"
        out += (c.oversubscribed ? "  (oversubscribed)" : "") + "\n"
    }
    return out
}
