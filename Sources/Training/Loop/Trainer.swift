// The data-parallel training loop. Every rank holds a full replica; per global step k each rank
// loads its contiguous slice of the global batch perm[k*B ..< (k+1)*B] (B = world size x per-rank
// batch x train.accumulate), runs forward/backward over it, and the exchange strategy
// (Training/Exchange) combines the gradients and the step's statistics across ranks and updates
// the replica — so replicas stay identical without ever exchanging weights again. Progress, trace,
// steps.csv, the benchmark recorder and fault injection observe the step (StepObserver.swift);
// evaluation and checkpoints happen between steps (EpochEnd.swift, CheckpointSaving.swift).

import Core
import Foundation
import NN
import Datasets
import Collective

public final class Trainer {
    public let config: RunConfig
    public let comm: Communicator
    public let network: Network
    public let optimizer: Optimizer
    public let data: TrainingData
    public let shards: ShardPlan
    public let schedule: LearningRate
    public let log: RunLog

    /// What this rank was estimated to hold at its peak (checked against its limits before anything was allocated).
    public let memory: MemoryEstimate
    let buffer: ExchangeBuffer                 // [gradients | loss, correct, samples], summed each step
    let strategy: ExchangeStrategy
    let passes: BatchPasses
    let validationEval: Evaluator?
    let testEval: Evaluator
    var diagnostics: Diagnostics?
    var files: RunFiles?
    var sums = EpochSums()
    /// BatchNorm's cross-rank sums (nil: no synced BatchNorm in this run).
    var statistics: CommunicatorStatistics?
    var bestValidation = -Double.infinity
    /// Rank 0's checkpoint file writes, off the loop's thread (CheckpointSaving.swift).
    let checkpointWrites = BackgroundWrites()
    /// Seconds checkpoint saving has held the loop this epoch (every_steps saves included); reset
    /// when the epoch's metrics row is made.
    var checkpointSeconds = 0.0
    /// When the current epoch's wall time began: the previous epoch's row, or the loop's start
    /// (less the training seconds of a resumed partial epoch).
    var epochWallStart = 0.0
    private var resumedFrom: String?
    private var observers: [StepObserver] = []
    private var segmentStart = 0.0             // when the current stretch of steps began (sums.seconds)
    private var permutation: [Int32] = []
    private var permutationEpoch = 0

    /// Global steps completed so far.
    public private(set) var step = 0
    public var isRoot: Bool { comm.rank == 0 }

    public init(config: RunConfig, comm: Communicator, data: TrainingData, quiet: Bool = false) throws {
        var config = config
        try config.resolveNormalization(train: data.train)      // data.normalize: auto -> numbers
        self.config = config
        self.comm = comm
        self.data = data
        let t = config.train
        let plan = try NetworkPlan(config.model)
        memory = try memoryPreflight(.training(plan, config: config, data: data), config: config)
        buffer = ExchangeBuffer(parameterCount: plan.parameterCount)
        network = Network(plan: plan, exchange: buffer)
        if Self.syncsBatchNorm(t, worldSize: comm.size), !network.batchNorms.isEmpty {
            statistics = CommunicatorStatistics(comm: comm)
            network.setStatisticsReducer(statistics)
        }
        optimizer = makeOptimizer(t.optimizerSettings, parameterCount: plan.parameterCount)
        shards = ShardPlan(count: data.train.count, worldSize: comm.size, perRankBatch: t.batchSize * t.accumulate)
        guard shards.stepsPerEpoch > 0 else {
            throw InputError("\(config.data.path): \(data.train.count) training images are fewer than one global batch of \(comm.size * t.batchSize * t.accumulate) (\(comm.size) ranks x train.batch_size \(t.batchSize) x train.accumulate \(t.accumulate))")
        }
        if t.allreduce == .exact, t.batchSize % t.exactMicroBatch != 0 {
            throw InputError("\(config.source): train.micro_batch: \(t.exactMicroBatch) does not divide the per-rank batch \(t.batchSize) (exact needs whole micro-batches on every rank)")
        }
        // scale_lr: linear follows the global batch, world size x accumulate batches of batch_size
        schedule = LearningRate(base: t.scaleLR ? t.lr * Double(comm.size * t.accumulate) : t.lr, schedule: t.schedule,
                                warmupEpochs: t.warmupEpochs, epochs: t.epochs, stepsPerEpoch: shards.stepsPerEpoch)
        let d = config.data
        let loader = BatchLoader(set: data.train, capacity: t.batchSize * t.accumulate, normalization: d.normalize,
                                 positiveClass: d.positiveClass, augmentation: d.augment, seed: config.seed)
        passes = BatchPasses(network: network, loader: loader, lossFunction: LossFunction.forOutputs(plan.classes),
                             labelSmoothing: Float(t.labelSmoothing), microStep: t.batchSize, accumulate: t.accumulate)
        strategy = makeExchangeStrategy(t.allreduce, parts: ExchangeParts(comm: comm, network: network, buffer: buffer,
                                                                          optimizer: optimizer, accumulate: t.accumulate), train: t)
        validationEval = data.validation.map { [network] set in
            Evaluator(network: network, set: set, comm: comm, batch: t.evalBatch, normalization: d.normalize, positiveClass: d.positiveClass)
        }
        testEval = Evaluator(network: network, set: data.test, comm: comm, batch: t.evalBatch, normalization: d.normalize,
                             positiveClass: d.positiveClass)
        if comm.rank == 0, config.diagnostics {
            diagnostics = Diagnostics(network: network, set: data.validation ?? data.test, normalization: d.normalize,
                                      positiveClass: d.positiveClass)
        }
        log = RunLog(enabled: comm.rank == 0 && !quiet)
        if comm.rank == 0 && !quiet && ProgressBar.wanted { observers.append(ProgressBar(enabled: true)) }
        if let faults = FaultInjection.fromEnvironment(rank: comm.rank) { observers.append(faults) }
        network.reserve(batch: max(t.batchSize, min(t.evalBatch, Evaluator.chunkLimit)))
    }

    /// Records a Chrome trace of the first `steps` steps into `path` (written when they are done).
    public func enableTrace(path: String, steps: Int) {
        addObserver(StepTrace(path: path, steps: steps, comm: comm, log: log))
    }

    /// Adds an observer of every step until `removeObserver` (the benchmark's recorder).
    /// Fault injection stays last (its delay must come right before the stall check).
    public func addObserver(_ o: StepObserver) {
        observers.insert(o, at: observers.firstIndex { $0 is FaultInjection } ?? observers.endIndex)
    }
    public func removeObserver(_ o: StepObserver) { observers.removeAll { $0 === o } }

    /// Rank 0 initialises the parameters from the seed; every rank receives them.
    public func initializeParameters() {
        if isRoot { network.initialize(seed: config.seed) }
        comm.broadcast(network.parameters, root: 0)
    }

    /// Continues from a checkpoint: rank 0 reads parameters and the optimiser's state, every rank
    /// receives them; the step and the optimiser's step count come with the (shared) metadata.
    /// Call instead of `initializeParameters()`.
    public func resume(from point: ResumePoint) throws {
        try point.metadata.checkAgainstRun(stepsPerEpoch: shards.stepsPerEpoch, totalSteps: totalSteps, file: point.path)
        try checkOptimizer(of: point)
        if isRoot {
            let file = try Checkpoint.open(path: point.path, network: network, optimizer: optimizer.kind)
            try Checkpoint.load(file, into: network, optimizer: optimizer)
        }
        comm.broadcast(network.parameters, root: 0)
        for s in optimizer.state { comm.broadcast(s.buffer, root: 0) }
        optimizer.stepCount = point.metadata.optimizerStep
        shareState()
        step = point.step
        bestValidation = point.bestValidation
        exactShift = point.metadata.exactShift
        sums = EpochSums()
        if step % shards.stepsPerEpoch != 0, let s = point.metadata.partialEpoch {
            sums.lossSum = s.lossSum; sums.correct = s.correct; sums.seen = s.seen; sums.seconds = s.seconds
            if point.worldSize == comm.size, comm.rank < s.rankCorrect.count {
                passes.ownCorrect = s.rankCorrect[comm.rank]; passes.ownSeen = s.rankSeen[comm.rank]
            }
        }
        resumedFrom = point.path
    }

    /// The checkpoint's optimiser state must be what this run's optimiser keeps (Adam and AdamW
    /// share theirs); checked on every rank from the shared metadata, so every rank stops together.
    private func checkOptimizer(of point: ResumePoint) throws {
        let saved = OptimizerKind(rawValue: point.metadata.optimizer) ?? .sgd
        guard saved.stateSuffixes != optimizer.kind.stateSuffixes else { return }
        let fits = OptimizerKind.allCases.filter { $0.stateSuffixes == saved.stateSuffixes }.map(\.rawValue)
        throw InputError("\(point.path): holds \(saved.rawValue) state (\(saved.stateSuffixes.joined(separator: ", "))) but train.optimizer is \(optimizer.kind.rawValue): resume with train.optimizer: \(fits.joined(separator: " or ")) (of \(OptimizerKind.allowed))")
    }

    /// Runs from the current step to the end.
    public func run() throws -> TrainingOutcome {
        let started = monotonicSeconds()
        if let resumedFrom, step >= totalSteps { return try alreadyComplete(from: resumedFrom) }
        if isRoot {
            try checkWritableDirectory(config.output)
            let resumeStep = resumedFrom.map { _ in step }
            files = try RunFiles(folder: config.output, resumeStep: resumeStep, resumeEpoch: resumeStep.map { $0 / shards.stepsPerEpoch })
            addObserver(files!)
        }
        log.header(config: config, comm: comm, network: network, lr: schedule.base, stepsPerEpoch: shards.stepsPerEpoch,
                   trainCount: data.train.count, validationCount: data.validation?.count ?? 0, testCount: data.test.count)
        log.say("memory: about \(MemoryEstimate.format(memory.total)) per rank (\(memory.breakdown))")
        for o in observers { try o.runStarting() }
        if let resumedFrom { log.say("resumed from \(resumedFrom) at step \(step) (epoch \(step / shards.stepsPerEpoch + 1))") }
        var outcome = TrainingOutcome()
        epochWallStart = monotonicSeconds() - sums.seconds     // sums.seconds: a resumed partial epoch's training
        do {
            try trainToTheEnd(&outcome)
        } catch {
            try? checkpointWrites.finish()      // a checkpoint being written is completed, not cut
            throw error
        }
        try checkpointWrites.finish()           // the last checkpoint is on disk before the run returns
        for o in observers { try o.runFinished(steps: step) }
        outcome.checksum = try verifyReplicas()
        outcome.steps = step
        outcome.wallSeconds = monotonicSeconds() - started
        log.finish(outcome: outcome, worldSize: comm.size, history: runHistory(fallback: outcome.epochs))
        return outcome
    }

    /// The epochs from the current step to the last, each ended by evaluation, metrics and checkpoints.
    private func trainToTheEnd(_ outcome: inout TrainingOutcome) throws {
        while step < totalSteps {
            let epoch = step / shards.stepsPerEpoch + 1
            let lastStep = min(epoch * shards.stepsPerEpoch, totalSteps)
            for o in observers { o.epochStarting(epoch) }
            segmentStart = monotonicSeconds()
            while step < lastStep {
                try trainStep(epoch: epoch)
                if let every = config.checkpoint.everySteps, step % every == 0, step < lastStep {
                    sums.seconds += monotonicSeconds() - segmentStart
                    try saveCheckpoints(epoch: epoch, validation: nil)
                    segmentStart = monotonicSeconds()
                }
            }
            sums.seconds += monotonicSeconds() - segmentStart
            for o in observers { o.epochEnding(epoch) }
            outcome.epochs.append(try endOfEpoch(epoch: epoch))
            startEpochCounts()
        }
    }

    /// One global step: this rank's slice of the global batch -> forward/backward -> exchange ->
    /// update. The step's own work allocates nothing (the loader, the passes, the exchange buffer
    /// and the observers' buffers are preallocated). What does allocate: bucketed's non-blocking
    /// reductions (a PendingReduction and, under MPI, its request list per bucket per step), rank 0's
    /// steps.csv write every ~60 rows, the progress bar's redraw (at most 5 a second), and the
    /// epoch's permutation (once an epoch).
    func trainStep(epoch: Int) throws {
        var clock = StepClock()
        clock.start = monotonicSeconds()
        try loadSlice(epoch: epoch)
        clock.dataLoaded = monotonicSeconds()
        strategy.computeGradients(passes)
        clock.forwardDone = passes.lastForwardDone
        clock.backwardDone = monotonicSeconds()
        for o in observers { o.beforeExchange(step: step + 1, buffer: buffer) }
        waitForEveryRank(step: step + 1)
        strategy.enterTogether()
        clock.exchangeEntered = monotonicSeconds()
        let lr = schedule.at(step: step)
        // before the exchange: the coordinator updates inside it
        if let momentum = schedule.momentum(step: step) { optimizer.setMomentum(momentum) }
        strategy.exchange(passes, lr: Float(lr))
        clock.exchanged = monotonicSeconds()
        let stats = buffer.statistics
        // Every strategy leaves the same global statistics on every rank, so every rank stops here at
        // the same step — which is why the observers' collectives (the trace) may still run.
        guard stats.meanLoss.isFinite else {
            for o in observers { try? o.runFinished(steps: step) }
            throw TrainingDiverged(step: step + 1, epoch: epoch, loss: stats.meanLoss)
        }
        strategy.update(lr: Float(lr))
        clock.updated = monotonicSeconds()
        sums.add(stats, clock, updateIsBroadcast: strategy.updateIsBroadcast)
        step += 1
        notify(epoch: epoch, loss: stats.meanLoss, lr: lr, clock: clock)
    }

    /// Clears the epoch's running sums and this rank's own-shard counts.
    private func startEpochCounts() {
        sums = EpochSums()
        passes.ownCorrect = 0; passes.ownSeen = 0
    }

    /// Loads this rank's contiguous slice of the step's global batch (epoch permutation from
    /// (seed, epoch) alone, so every rank and world size sees the same global batches; data.augment's
    /// draws come from (seed, epoch, dataset index), so they agree too).
    private func loadSlice(epoch: Int) throws {
        if permutationEpoch != epoch {
            permutation = epochPermutation(count: data.train.count, seed: config.seed, epoch: epoch)
            permutationEpoch = epoch
        }
        let range = shards.rankRange(step: step - (epoch - 1) * shards.stepsPerEpoch, rank: comm.rank)
        try permutation.withUnsafeBufferPointer { try passes.loader.load(UnsafeBufferPointer(rebasing: $0[range]), epoch: epoch) }
        passes.context = PassContext(training: true, seed: config.seed, epoch: epoch)
    }

    /// The stall check: rank 0 warns while some rank has not reached the step's exchange.
    private func waitForEveryRank(step joining: Int) {
        comm.arrive(step: joining, warnAfter: config.train.stallWarningSeconds) { ranks, seconds in
            log.warn("rank\(ranks.count > 1 ? "s" : "") \(ranks.map(String.init).joined(separator: ", ")) "
                     + "\(ranks.count > 1 ? "have" : "has") not joined step \(joining) for \(Int(seconds)) s")
        }
    }

    private func notify(epoch: Int, loss: Double, lr: Double, clock: StepClock) {
        guard !observers.isEmpty else { return }
        let first = (epoch - 1) * shards.stepsPerEpoch
        let elapsed = sums.seconds + monotonicSeconds() - segmentStart
        let record = StepRecord(step: step, epoch: epoch, stepInEpoch: step - first,
                                stepsInEpoch: min(epoch * shards.stepsPerEpoch, totalSteps) - first, epochs: config.train.epochs,
                                loss: loss, lr: lr, clock: clock,
                                singlePass: config.train.accumulate == 1 && strategy.kind != .exact,
                                updateIsBroadcast: strategy.updateIsBroadcast,
                                epochImagesPerSecond: elapsed > 0 ? sums.seen / elapsed : 0, epochLoss: sums.lossSum / max(sums.seen, 1))
        for o in observers { o.stepFinished(record) }
    }

    /// Runs `steps` training steps from the current step (no evaluation, no files) and returns
    /// their phase times — what `dtrain bench train` measures.
    func runSteps(_ steps: Int) throws -> PhaseTimes {
        startEpochCounts()
        segmentStart = monotonicSeconds()
        for _ in 0..<steps { try trainStep(epoch: step / shards.stepsPerEpoch + 1) }
        return sums.times
    }
}
