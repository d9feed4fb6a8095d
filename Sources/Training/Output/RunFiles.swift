// The files rank 0 writes into the output folder while training:
//   metrics.jsonl  one JSON object per epoch (DESIGN.md "Metrics")
//   steps.csv      step, epoch, train_loss (global mean), lr — one row per global step
// Both are appended and flushed per epoch; a resumed run first truncates them to the resume point.
// A step observer (rank 0 only): a row of steps.csv per step, closed when the run ends.

import Core
import Foundation
import NN

public final class RunFiles {
    public let folder: String
    private var stepsHandle: FileHandle?
    private var metricsHandle: FileHandle?
    // steps.csv rows not yet written: formatted by vsnprintf into this buffer (String(format:)
    // took 7 us a row, all on rank 0 while the other ranks wait for it at the next exchange)
    private let pending = UnsafeMutablePointer<CChar>.allocate(capacity: RunFiles.pendingCapacity)
    private var pendingCount = 0
    private static let pendingCapacity = 1 << 15, rowLimit = 512   // a row: 2 Ints, %.6f of a Float-range loss, lr

    public var metricsPath: String { folder + "/metrics.jsonl" }
    public var stepsPath: String { folder + "/steps.csv" }

    /// Opens (creating or, when `resumeStep` is nil, truncating) the files. On resume, rows past
    /// the resume point are dropped so the files read as one uninterrupted run.
    public init(folder: String, resumeStep: Int?, resumeEpoch: Int?) throws {
        self.folder = folder
        let fm = FileManager.default
        if let resumeStep, let resumeEpoch {
            try Self.truncateLines(of: stepsPath, keepingWhile: { line in
                guard let first = line.split(separator: ",").first, let s = Int(first) else { return true }
                return s <= resumeStep
            })
            try Self.truncateLines(of: metricsPath, keepingWhile: { line in
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                guard let object, let metrics = try? EpochMetrics(object, at: "\(metricsPath) (resumed)") else { return false }
                return metrics.epoch <= resumeEpoch
            })
        } else {
            _ = fm.createFile(atPath: stepsPath, contents: Data("step,epoch,train_loss,lr\n".utf8))
            _ = fm.createFile(atPath: metricsPath, contents: Data())
        }
        if !fm.fileExists(atPath: stepsPath) { _ = fm.createFile(atPath: stepsPath, contents: Data("step,epoch,train_loss,lr\n".utf8)) }
        if !fm.fileExists(atPath: metricsPath) { _ = fm.createFile(atPath: metricsPath, contents: Data()) }
        guard let s = FileHandle(forWritingAtPath: stepsPath), let m = FileHandle(forWritingAtPath: metricsPath) else {
            throw InputError("\(folder): cannot open metrics.jsonl / steps.csv for writing")
        }
        s.seekToEndOfFile(); m.seekToEndOfFile()
        stepsHandle = s; metricsHandle = m
    }

    private static func truncateLines(of path: String, keepingWhile keep: (Substring) -> Bool) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        var kept: [Substring] = []
        for (i, line) in text.split(separator: "\n").enumerated() {
            if i == 0, line.hasPrefix("step,") { kept.append(line); continue }
            if keep(line) { kept.append(line) }
        }
        try (kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).write(toFile: path, atomically: true, encoding: .utf8)
    }

    public func recordStep(step: Int, epoch: Int, loss: Double, lr: Double) {
        if Self.pendingCapacity - pendingCount < Self.rowLimit { flushSteps() }
        let written = withVaList([step, epoch, loss, lr]) {
            vsnprintf(pending + pendingCount, Self.rowLimit, "%ld,%ld,%.6f,%.8g\n", $0)
        }
        pendingCount += min(max(Int(written), 0), Self.rowLimit - 1)
    }

    public func flushSteps() {
        guard pendingCount > 0 else { return }
        stepsHandle?.write(Data(bytes: pending, count: pendingCount))
        pendingCount = 0
    }

    public func recordEpoch(_ metrics: EpochMetrics) {
        flushSteps()
        metricsHandle?.write(Data((metrics.jsonLine + "\n").utf8))
    }

    public func close() {
        flushSteps()
        try? stepsHandle?.synchronize()
        try? metricsHandle?.synchronize()
        stepsHandle?.closeFile(); metricsHandle?.closeFile()
        stepsHandle = nil; metricsHandle = nil
    }

    deinit { close(); pending.deallocate() }
}

extension RunFiles: StepObserver {
    public func stepFinished(_ r: StepRecord) { recordStep(step: r.step, epoch: r.epoch, loss: r.loss, lr: r.lr) }
    public func runFinished(steps: Int) throws { close() }
}
