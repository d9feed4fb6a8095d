// Checkpoint files written off the training loop's critical path. The trainer snapshots what a
// checkpoint holds (SafeTensorsWriter copies every tensor) on its own thread, then hands the file
// writes (atomic: temp file, fsync, rename, folder fsync) to one background thread, which runs the
// jobs one at a time in submission order. At most one batch of jobs is in flight: `submit` first
// waits for the previous one, so a crash loses at most the checkpoint being written (the previous
// `latest` stays whole: writes are atomic). `finish` waits for everything and rethrows the first
// failure; the trainer calls it before the run returns, so the final checkpoint is complete before
// the process exits. A failure in the background is thrown by the next `submit` or by `finish`.

import Core
import Dispatch
import Foundation

public final class BackgroundWrites: @unchecked Sendable {
    private let queue = DispatchQueue(label: "dtrain.checkpoint-writes")
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var failure: Error?
    /// Seconds the caller spent blocked in `submit`/`finish` waiting for earlier writes.
    public private(set) var waitedSeconds = 0.0

    public init() {}

    /// Waits for the previous jobs (rethrowing their failure), then starts `job` in the background.
    public func submit(_ job: @escaping () throws -> Void) throws {
        try finish()
        group.enter()
        queue.async { [self] in
            defer { group.leave() }
            do { try job() } catch {
                lock.lock(); if failure == nil { failure = error }; lock.unlock()
            }
        }
    }

    /// Waits until every submitted job is done; throws the first failure (once).
    public func finish() throws {
        let start = monotonicSeconds()
        group.wait()
        waitedSeconds += monotonicSeconds() - start
        lock.lock()
        let error = failure
        failure = nil
        lock.unlock()
        if let error { throw error }
    }
}
