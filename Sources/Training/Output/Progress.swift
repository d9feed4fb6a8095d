// Rank 0's progress bar: one self-overwriting line with images/s and ETA, only when stdout is a
// terminal (plain per-epoch lines otherwise). Redraws at most 5 times a second. A step observer.

import Core
import Foundation

public final class ProgressBar {
    public let enabled: Bool
    private var lastDraw = 0.0
    private var drewSomething = false

    public init(enabled: Bool) { self.enabled = enabled }

    /// Under mpirun every rank's stdout is a pty that Open MPI forwards, whatever the user's
    /// terminal is, so there the launcher decides: launch/train sets DTRAIN_PROGRESS=1 when its own
    /// stdout is a terminal. DTRAIN_PROGRESS=0 turns the bar off everywhere.
    public static var wanted: Bool {
        let env = ProcessInfo.processInfo.environment
        if let forced = env["DTRAIN_PROGRESS"] { return forced == "1" }
        return !launchedByMPI() && isatty(STDOUT_FILENO) != 0
    }

    public func update(epoch: Int, epochs: Int, step: Int, steps: Int, imagesPerSecond: Double, loss: Double) {
        guard enabled else { return }
        let now = monotonicSeconds()
        guard now - lastDraw >= 0.2 || step == steps else { return }
        lastDraw = now
        let width = 30
        let filled = steps > 0 ? width * step / steps : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let secondsPerStep = step > 0 ? (now - epochStart) / Double(step) : 0
        let eta = Int((Double(steps - step) * secondsPerStep).rounded())
        let line = String(format: "\repoch %d/%d [%@] %3d%% %7.0f img/s loss %.4f ETA %d:%02d ",
                          epoch, epochs, bar, steps > 0 ? 100 * step / steps : 100, imagesPerSecond, loss, eta / 60, eta % 60)
        FileHandle.standardOutput.write(Data(line.utf8))
        drewSomething = true
    }

    private var epochStart = monotonicSeconds()
    public func startEpoch() { epochStart = monotonicSeconds(); lastDraw = 0 }

    /// Clears the bar before a normal line is printed.
    public func clear() {
        guard enabled, drewSomething else { return }
        FileHandle.standardOutput.write(Data(("\r" + String(repeating: " ", count: 100) + "\r").utf8))
        drewSomething = false
    }
}

extension ProgressBar: StepObserver {
    public func epochStarting(_ epoch: Int) { startEpoch() }
    public func stepFinished(_ r: StepRecord) {
        update(epoch: r.epoch, epochs: r.epochs, step: r.stepInEpoch, steps: r.stepsInEpoch,
               imagesPerSecond: r.epochImagesPerSecond, loss: r.epochLoss)
    }
    public func epochEnding(_ epoch: Int) { clear() }
}
