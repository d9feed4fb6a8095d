// The data-parallel training loop. Every rank holds a full replica; per global step k each rank
// runs forward/backward on its contiguous slice of the global batch perm[k*B ..< (k+1)*B]
// (B = world size x per-rank batch), the gradients and the step's loss statistics are summed with
// ONE allreduce over the flat exchange buffer, scaled by 1/world size, and every rank applies the
// same SGD update — so replicas stay identical without ever exchanging weights again.
//
// Exchange buffer layout: [ gradients (P floats, the network's gradient storage) | loss sum,
//                           correct, samples ] — the statistics ride along in the same allreduce.

import Core
import Foundation
import NN
import Datasets
import Collective

/// Training stopped because the loss became NaN/Inf (exit code 3).
public struct TrainingDiverged: Error, CustomStringConvertible {
    public let step: Int, epoch: Int, loss: Double
    public var description: String {
        "training diverged at step \(step) (epoch \(epoch)): loss is \(loss); lower train.lr or check the data"
    }
}

/// The replicas' parameters differ after training (a bug or a faulty node; exit code 1).
public struct ReplicasDiverged: Error, CustomStringConvertible {
    public let checksums: [String]
    public var description: String { "replicas differ after training: parameter checksums per rank \(checksums)" }
}

public struct TrainingOutcome {
    public var epochs: [JSONObject] = []
    public var steps = 0
    public var wallSeconds = 0.0
    public var checksum = ""
}

/// Running sums of the current epoch; saved in checkpoints so a mid-epoch resume reports the
/// same epoch metrics as an uninterrupted run.
struct EpochSums {
    var lossSum = 0.0, correct = 0.0, seen = 0.0     // global
    var localCorrect = 0, localSeen = 0              // this rank's own shard
    var times = PhaseTimes()
    var seconds = 0.0                                // training-loop time before a resume
}

public final class Trainer {
    public let config: RunConfig
    public let comm: Communicator
    public let network: Network
    public let optimizer: SGD
    public let data: TrainingData
    public let shards: ShardPlan
    public let schedule: LearningRate
    public let log: RunLog
    public let lossFunction: LossFunction

    private let exchange: UnsafeMutableBufferPointer<Float>   // P + 3
    private let loader: BatchLoader
    private let validationEval: Evaluator?
    private let testEval: Evaluator
    private var files: RunFiles?
    private let progress: ProgressBar
    private var sums = EpochSums()
    private var bestValidation = -Double.infinity
    private var resumedFrom: String?
    private let faults = FaultInjection.fromEnvironment()
    private let exchanger: GradientExchange
    private var diagnostics: Diagnostics?
    private var trace: StepTrace?
    /// `dtrain bench train` only: per-step exchange records (two hooks in trainStep; nil otherwise).
    var exchangeRecorder: ExchangeRecorder?

    /// Records a Chrome trace of the first `steps` steps into `path` (written when they are done).
    public func enableTrace(path: String, steps: Int) { trace = StepTrace(path: path, steps: steps) }
    private let exactMicroBatch: Int

    /// Global steps completed so far.
    public private(set) var step = 0
    public var isRoot: Bool { comm.rank == 0 }

    public init(config: RunConfig, comm: Communicator, data: TrainingData, quiet: Bool = false) throws {
        self.config = config
        self.comm = comm
        self.data = data
        let plan = try NetworkPlan(config.model)
        let p = plan.parameterCount
        exchange = .allocate(capacity: p + 3)
        exchange.initialize(repeating: 0)
        let network = Network(plan: plan, gradientStorage: exchange.baseAddress!)
        self.network = network
        lossFunction = LossFunction.forOutputs(plan.classes)
        let t = config.train
        optimizer = SGD(parameterCount: p, momentum: Float(t.momentum), weightDecay: Float(t.weightDecay), nesterov: t.nesterov)
        shards = ShardPlan(count: data.train.count, worldSize: comm.size, perRankBatch: t.batchSize)
        guard shards.stepsPerEpoch > 0 else {
            throw InputError("\(config.data.path): \(data.train.count) training images are fewer than one global batch of \(comm.size * t.batchSize) (\(comm.size) ranks x train.batch_size \(t.batchSize))")
        }
        let baseLR = t.scaleLR ? t.lr * Double(comm.size) : t.lr
        schedule = LearningRate(base: baseLR, schedule: t.schedule, warmupEpochs: t.warmupEpochs,
                                epochs: t.epochs, stepsPerEpoch: shards.stepsPerEpoch)
        loader = BatchLoader(set: data.train, capacity: t.batchSize, normalization: config.data.normalize,
                             positiveClass: config.data.positiveClass)
        validationEval = data.validation.map { set in
            Evaluator(network: network, set: set, comm: comm, batch: t.evalBatch, normalization: config.data.normalize,
                      positiveClass: config.data.positiveClass)
        }
        testEval = Evaluator(network: network, set: data.test, comm: comm, batch: t.evalBatch,
                             normalization: config.data.normalize, positiveClass: config.data.positiveClass)
        exchanger = GradientExchange(strategy: t.allreduce, comm: comm, network: network, buffer: exchange, bucketMB: t.bucketMB)
        exactMicroBatch = t.exactMicroBatch
        if t.allreduce == .exact, t.batchSize % exactMicroBatch != 0 {
            throw InputError("\(config.source): train.micro_batch: \(exactMicroBatch) does not divide the per-rank batch \(t.batchSize) (exact needs whole micro-batches on every rank)")
        }
        if comm.rank == 0, config.diagnostics {
            diagnostics = Diagnostics(network: network, set: data.validation ?? data.test, normalization: config.data.normalize,
                                      positiveClass: config.data.positiveClass)
        }
        log = RunLog(enabled: comm.rank == 0 && !quiet)
        progress = ProgressBar(enabled: comm.rank == 0 && !quiet && ProgressBar.wanted)
        network.reserve(batch: max(t.batchSize, min(t.evalBatch, Evaluator.chunkLimit)))
    }

    deinit { exchange.deallocate() }

    /// Total global steps of the run (epochs x steps per epoch, capped by train.max_steps).
    public var totalSteps: Int {
        let all = config.train.epochs * shards.stepsPerEpoch
        return min(all, config.train.maxSteps ?? all)
    }

    /// Rank 0 initialises the parameters from the seed; every rank receives them.
    public func initializeParameters() {
        if isRoot { network.initialize(seed: config.seed) }
        comm.broadcast(network.parameters, root: 0)
    }

    /// Continues from a checkpoint: rank 0 reads parameters, momentum and the step, every rank
    /// receives them. Call instead of `initializeParameters()`.
    public func resume(from point: ResumePoint) throws {
        if isRoot {
            let file = try Checkpoint.open(path: point.path, network: network, withMomentum: true)
            try Checkpoint.load(file, into: network, optimizer: optimizer)
        }
        comm.broadcast(network.parameters, root: 0)
        comm.broadcast(optimizer.velocity, root: 0)
        step = point.step
        guard step <= totalSteps else {
            throw InputError("\(point.path): checkpoint is at step \(step), past this run's \(totalSteps) steps (raise train.epochs)")
        }
        bestValidation = point.bestValidation
        if let shift = point.exactShift { exchanger.shift = shift }
        sums = EpochSums()
        if step % shards.stepsPerEpoch != 0, let s = point.epochSums {
            sums.lossSum = s.lossSum; sums.correct = s.correct; sums.seen = s.seen; sums.seconds = s.seconds
            if point.worldSize == comm.size, comm.rank < s.rankCorrect.count {
                sums.localCorrect = s.rankCorrect[comm.rank]; sums.localSeen = s.rankSeen[comm.rank]
            }
        }
        resumedFrom = point.path
    }

    /// Runs from the current step to the end.
    public func run() throws -> TrainingOutcome {
        let t = config.train
        let started = monotonicSeconds()
        if isRoot {
            try checkWritableDirectory(config.output)
            files = try RunFiles(folder: config.output, resumeStep: resumedFrom != nil ? step : nil,
                                 resumeEpoch: resumedFrom != nil ? step / shards.stepsPerEpoch : nil)
        }
        log.header(config: config, comm: comm, network: network, lr: schedule.base, stepsPerEpoch: shards.stepsPerEpoch,
                   trainCount: data.train.count, validationCount: data.validation?.count ?? 0, testCount: data.test.count)
        trace?.start(comm: comm)
        if let resumedFrom { log.say("resumed from \(resumedFrom) at step \(step) (epoch \(step / shards.stepsPerEpoch + 1))") }
        var outcome = TrainingOutcome()
        while step < totalSteps {
            let epoch = step / shards.stepsPerEpoch + 1
            preparePermutation(epoch: epoch)
            let lastStep = min(epoch * shards.stepsPerEpoch, totalSteps)
            progress.startEpoch()
            var segmentStart = monotonicSeconds()
            while step < lastStep {
                try trainStep(epoch: epoch)
                let elapsed = sums.seconds + monotonicSeconds() - segmentStart
                progress.update(epoch: epoch, epochs: t.epochs, step: step - (epoch - 1) * shards.stepsPerEpoch,
                                steps: lastStep - (epoch - 1) * shards.stepsPerEpoch,
                                imagesPerSecond: elapsed > 0 ? sums.seen / elapsed : 0, loss: sums.lossSum / max(sums.seen, 1))
                if let every = config.checkpoint.everySteps, step % every == 0, step < lastStep {
                    sums.seconds += monotonicSeconds() - segmentStart
                    try saveCheckpoints(epoch: epoch, validation: nil)
                    segmentStart = monotonicSeconds()
                }
            }
            sums.seconds += monotonicSeconds() - segmentStart
            progress.clear()
            outcome.epochs.append(try endOfEpoch(epoch: epoch))
            sums = EpochSums()
        }
        if let trace {
            try trace.write(comm: comm)
            log.say("trace of \(min(trace.steps, step)) steps: \(trace.path) (open in chrome://tracing or ui.perfetto.dev)")
        }
        outcome.checksum = try verifyReplicas()
        files?.close()
        outcome.steps = step
        outcome.wallSeconds = monotonicSeconds() - started
        log.finish(outcome: outcome, worldSize: comm.size)
        return outcome
    }

    private var permutation: [Int32] = []
    private var permutationEpoch = 0

    private func preparePermutation(epoch: Int) {
        guard permutationEpoch != epoch else { return }
        permutation = epochPermutation(count: data.train.count, seed: config.seed, epoch: epoch)
        permutationEpoch = epoch
    }

    /// One global step: load this rank's slice, forward/backward, combine gradients and the
    /// step's statistics across ranks (train.allreduce; flat = ONE allreduce), SGD. Allocates nothing.
    func trainStep(epoch: Int) throws {
        let p = network.parameterCount, b = config.train.batchSize
        let t0 = monotonicSeconds()
        let range = shards.rankRange(step: step - (epoch - 1) * shards.stepsPerEpoch, rank: comm.rank)
        permutation.withUnsafeBufferPointer { loader.load(UnsafeBufferPointer(rebasing: $0[range])) }
        let t1 = monotonicSeconds()
        let context = PassContext(training: true, seed: config.seed, epoch: epoch, sampleIDs: UnsafePointer(loader.sampleIDs))
        var exactMax = 0.0
        let ownShard = (sums.localCorrect, sums.localSeen)
        if exchanger.strategy == .exact {
            exactMax = computeExact(context: context)
        } else {
            network.zeroGradients()
            let stats = forwardLoss(offset: 0, count: b, context: context)
            exchange[p] = Float(stats.lossSum); exchange[p + 1] = Float(stats.correct); exchange[p + 2] = Float(b)
            if let trace { let tf = monotonicSeconds(); trace.record(.forward, step: step + 1, t1, tf); traceBackwardStart = tf }
            network.backward()
        }
        let t2 = monotonicSeconds()
        exchangeRecorder?.afterBackward(buffer: exchange)
        faults.delayIfAsked(rank: comm.rank, step: step + 1)
        let joining = step + 1
        comm.arrive(step: joining, warnAfter: config.train.stallWarningSeconds) { ranks, seconds in
            log.warn("rank\(ranks.count > 1 ? "s" : "") \(ranks.map(String.init).joined(separator: ", ")) "
                     + "\(ranks.count > 1 ? "have" : "has") not joined step \(joining) for \(Int(seconds)) s")
        }
        exchanger.enterTogether()
        let t3 = monotonicSeconds()
        let g = exchange.baseAddress!
        let lr = schedule.at(step: step)
        switch exchanger.strategy {
        case .exact:
            let micro = exactMicroBatches
            var used = exchanger.shift
            var outcome = exchanger.reduceFixed(microBatches: micro, maxAbs: exactMax)
            while outcome == .overflowed {
                used = exchanger.shift                     // overflow somewhere: redo at the smaller scale
                (sums.localCorrect, sums.localSeen) = ownShard
                exactMax = computeExact(context: context)
                outcome = exchanger.reduceFixed(microBatches: micro, maxAbs: exactMax)
            }
            if outcome == .nonFinite {
                exchange[p] = .nan; exchange[p + 2] = 1     // every rank stops below, at the same step
            } else {
                exchanger.decodeFixed(usedShift: used, microBatches: micro)
            }
        case .flat, .bucketed:
            exchanger.reduce()                          // the 1/world size average happens inside SGD
        case .coordinator:
            exchanger.reduce()
            if isRoot, (Double(g[p]) / Double(g[p + 2])).isFinite {
                optimizer.step(parameters: network.parameters.baseAddress!, gradients: g, count: p, lr: Float(lr),
                               gradScale: 1 / Float(comm.size))
            }
            exchanger.shareStatistics()
        }
        let t4 = monotonicSeconds()
        exchangeRecorder?.afterExchange(t2, t3, t4)
        let stepLoss = Double(exchange[p]) / Double(exchange[p + 2])
        guard stepLoss.isFinite else {
            files?.close()
            throw TrainingDiverged(step: step + 1, epoch: epoch, loss: stepLoss)
        }
        if exchanger.strategy == .coordinator {
            exchanger.shareParameters(network.parameters)
        } else {
            // exact's decoded gradient is already the global mean; flat/bucketed hold the sum
            let scale: Float = exchanger.strategy == .exact ? 1 : 1 / Float(comm.size)
            optimizer.step(parameters: network.parameters.baseAddress!, gradients: g, count: p, lr: Float(lr), gradScale: scale)
        }
        let t5 = monotonicSeconds()
        if let trace {
            let s = step + 1
            trace.record(.data, step: s, t0, t1)
            if exchanger.strategy == .exact { trace.record(.forward, step: s, t1, t2) }
            else { trace.record(.backward, step: s, traceBackwardStart, t2) }
            trace.record(.wait, step: s, t2, t3); trace.record(.allreduce, step: s, t3, t4); trace.record(.optimizer, step: s, t4, t5)
        }
        // coordinator: t4..t5 is the parameter broadcast (rank 0 updated inside t3..t4)
        let updateIsBroadcast = exchanger.strategy == .coordinator
        sums.times.data += t1 - t0; sums.times.compute += t2 - t1; sums.times.wait += t3 - t2
        sums.times.comm += t4 - t3 + (updateIsBroadcast ? t5 - t4 : 0)
        sums.times.optimizer += updateIsBroadcast ? 0 : t5 - t4
        sums.lossSum += Double(exchange[p]); sums.correct += Double(exchange[p + 1]); sums.seen += Double(exchange[p + 2])
        step += 1
        files?.recordStep(step: step, epoch: epoch, loss: stepLoss, lr: lr)
    }

    private var traceBackwardStart = 0.0

    /// Forward and loss over `count` loaded samples starting at `offset`; writes dLoss/dlogits
    /// (mean over those samples) and counts this rank's own-shard accuracy.
    private func forwardLoss(offset: Int, count: Int, context: PassContext) -> LossStats {
        var context = context
        context.sampleIDs = UnsafePointer(loader.sampleIDs + offset)
        let k = network.outputShape.count
        let logits = network.forward(loader.x.pointer + offset * network.inputShape.count, batch: count, context: context)
        let stats = lossFunction.evaluate(logits: logits, labels: loader.labels + offset, batch: count, classes: k,
                                          gradient: network.outputGradient, scale: 1 / Float(count))
        sums.localCorrect += stats.correct; sums.localSeen += count
        return stats
    }

    /// Micro-batches of the whole global batch (exact strategy).
    var exactMicroBatches: Int { comm.size * config.train.batchSize / exactMicroBatch }

    /// Exact strategy: every micro-batch's gradient, computed alone, added in fixed point.
    /// Returns the largest |gradient| seen (for the next step's scale).
    private func computeExact(context: PassContext) -> Double {
        let m = exactMicroBatch, count = config.train.batchSize / m
        let limit = Double(sign: .plus, exponent: 62, significand: 1) / Double(exactMicroBatches)
        exchanger.clearFixed()
        var largest = 0.0
        for j in 0..<count {
            network.zeroGradients()
            let stats = forwardLoss(offset: j * m, count: m, context: context)
            network.backward()
            largest = max(largest, exchanger.accumulateFixed(gradient: exchange.baseAddress!, lossSum: stats.lossSum,
                                                            correct: stats.correct, samples: m, limit: limit))
        }
        return largest
    }

    /// Runs `steps` training steps from the current step (no evaluation, no files) and returns
    /// their phase times — what `dtrain bench train` measures.
    func runSteps(_ steps: Int) throws -> PhaseTimes {
        sums = EpochSums()
        for _ in 0..<steps {
            let epoch = step / shards.stepsPerEpoch + 1
            preparePermutation(epoch: epoch)
            try trainStep(epoch: epoch)
        }
        return sums.times
    }

    /// Evaluates, gathers every rank's own-shard accuracy, prints the epoch line, writes metrics
    /// and the epoch's checkpoints.
    private func endOfEpoch(epoch: Int) throws -> JSONObject {
        let evalStart = monotonicSeconds()
        let last = step >= totalSteps
        let validation = validationEval?.run()
        let test = testEval.run(confusion: last)
        let evalSeconds = monotonicSeconds() - evalStart
        let local = sums.localSeen > 0 ? 100 * Double(sums.localCorrect) / Double(sums.localSeen) : 0
        let rankAccuracy = comm.allgather([local]).map { $0.first ?? 0 }
        let trainSeconds = sums.seconds, times = sums.times
        var m = JSONObject()
        m.set("epoch", .int(epoch))
        m.set("step", .int(step))
        m.set("world_size", .int(comm.size))
        m.set("lr", .double(schedule.at(step: max(step - 1, 0))))
        m.set("train_loss", .double(sums.lossSum / max(sums.seen, 1)))
        m.set("train_accuracy", .double(100 * sums.correct / max(sums.seen, 1)))
        m.set("val_loss", validation.map { .double($0.loss) } ?? .null)
        m.set("val_accuracy", validation.map { .double($0.accuracy) } ?? .null)
        m.set("test_loss", .double(test.loss))
        m.set("test_accuracy", .double(test.accuracy))
        m.set("test_top5", .double(test.top5))
        m.set("epoch_seconds", .double(trainSeconds))
        m.set("eval_seconds", .double(evalSeconds))
        m.set("images_per_sec", .double(trainSeconds > 0 ? sums.seen / trainSeconds : 0))
        m.set("compute_seconds", .double(times.compute + times.optimizer))
        m.set("comm_seconds", .double(times.comm))
        m.set("data_seconds", .double(times.data))
        m.set("wait_seconds", .double(times.wait))
        m.set("rank_train_accuracy", .array(rankAccuracy.map { .double($0) }))
        if let diagnostics { m.set("diagnostics", diagnostics.measure()) }
        if last, isRoot {
            try Artifacts.writeConfusion(test, folder: config.output)
            try Artifacts.writeFilters(network, folder: config.output)
            try Artifacts.writeFeatures(network, digit: data.test.subset(0..<min(1, data.test.count)),
                                        normalization: config.data.normalize, folder: config.output)
        }
        log.epoch(m, epochs: config.train.epochs, classes: network.outputShape.count)
        files?.recordEpoch(m)
        try saveCheckpoints(epoch: epoch, validation: validation?.accuracy ?? test.accuracy)
        return m
    }

    /// Writes checkpoint-epochNNN (or -stepNNNNNNN mid-epoch), latest and, when `validation`
    /// improved, best — all on rank 0, each atomically; prunes numbered checkpoints to `keep`.
    /// Every rank takes part (the per-rank shard counts are gathered).
    private func saveCheckpoints(epoch: Int, validation: Double?) throws {
        let counts = comm.allgather([Double(sums.localCorrect), Double(sums.localSeen)])
        guard isRoot else { return }
        var meta: [String: String] = [
            "format": "dtrain-checkpoint-1",
            "config": config.resolvedYAML,
            "epoch": String(epoch),
            "step": String(step),
            "seed": String(config.seed),
            "world_size": String(comm.size),
            "batch_size": String(config.train.batchSize),
            "global_batch": String(comm.size * config.train.batchSize),
            "model": config.model.name,
            "dtrain_version": dtrainVersion,
            "val_accuracy": validation.map { String(format: "%.4f", $0) } ?? "",
            "allreduce": config.train.allreduce.rawValue,
            "exact_shift": String(exchanger.shift),
        ]
        let improved = validation.map { $0 > bestValidation } ?? false
        if let validation, improved { bestValidation = validation }
        meta["best_val_accuracy"] = bestValidation.isFinite ? String(bestValidation) : ""
        if step % shards.stepsPerEpoch != 0 {
            meta["epoch_loss_sum"] = String(sums.lossSum)
            meta["epoch_correct"] = String(sums.correct)
            meta["epoch_seen"] = String(sums.seen)
            meta["epoch_seconds"] = String(sums.seconds)
            meta["rank_correct"] = counts.map { String(Int($0[0])) }.joined(separator: ",")
            meta["rank_seen"] = counts.map { String(Int($0[1])) }.joined(separator: ",")
        }
        let folder = config.output
        let midEpoch = step % shards.stepsPerEpoch != 0     // every_steps, or a run cut short by max_steps
        let name = midEpoch ? String(format: "checkpoint-step%07d.safetensors", step)
                            : String(format: "checkpoint-epoch%03d.safetensors", epoch)
        try Checkpoint.save(path: folder + "/" + name, network: network, optimizer: optimizer, metadata: meta)
        try Checkpoint.save(path: folder + "/latest.safetensors", network: network, optimizer: optimizer, metadata: meta)
        if improved {
            try Checkpoint.save(path: folder + "/best.safetensors", network: network, optimizer: optimizer, metadata: meta)
        }
        pruneCheckpoints(in: folder, keep: config.checkpoint.keep)
    }

    private func pruneCheckpoints(in folder: String, keep: Int) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder) else { return }
        let numbered = names.filter { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".safetensors") }
            .compactMap { name -> (Int, String)? in
                guard let meta = try? SafeTensorsFile.open(path: folder + "/" + name).metadata,
                      let s = meta["step"].flatMap(Int.init) else { return nil }
                return (s, name)
            }
            .sorted { $0.0 < $1.0 }
        for (_, name) in numbered.dropLast(keep) { try? fm.removeItem(atPath: folder + "/" + name) }
    }

    /// Every rank's parameters must be bit-identical: gathers a checksum of each replica.
    public func verifyReplicas() throws -> String {
        let mine = String(fnv1a64(UnsafeRawBufferPointer(network.parameters)), radix: 16)
        let all = comm.allgather(mine)
        guard Set(all).count == 1 else { throw ReplicasDiverged(checksums: all) }
        return mine
    }
}
