// Did a run learn? One word per run for the summary table, with a one-line reason from the
// diagnostics where one applies. The loss judged is the last epoch's train loss (the mean over
// that epoch's steps), compared with ln(classes), the loss of predicting the class prior:
//   diverged  some epoch's train loss is not finite, or the last one is above
//             divergedFactor x ln(classes) (1.5: far worse than guessing);
//   plateau   the last train loss is not below (1 - plateauTolerance) x ln(classes), i.e. within
//             1% of it or above it: the network still predicts about the prior;
//   learned   the last train loss is below 0.99 x ln(classes).
// The reason comes from the last epoch that has diagnostics: ReLU layers at least 99% dead, and,
// for a run that did not learn, the smallest layer gradient norm when below 1e-3 ("dead ReLUs:
// relu1, relu2 100% dead", "conv1 gradient norm 0"; LeNet-5's layers that learn have norms of 0.01
// to 1, a sigmoid one on the plateau about 1e-4 in conv1). A plateau also names the loss and
// ln(classes); a divergence, the epoch of the first non-finite loss or the loss and the limit.

import Core
import Foundation

public struct Verdict: Equatable, Sendable {
    public enum Kind: String, Sendable { case learned, plateau, diverged }

    public var kind: Kind
    public var reason: String?

    public static let plateauTolerance = 0.01
    public static let divergedFactor = 1.5
    public static let deadShare = 0.99
    public static let vanishingGradient = 1e-3

    public init(kind: Kind, reason: String? = nil) {
        self.kind = kind
        self.reason = reason
    }

    /// What the verdict column means, in one sentence for the report's readers.
    public static let legend = "Verdict, from the last epoch's train loss against ln(classes), the loss of predicting the class prior: "
        + "learned below 99% of it; plateau within 1% of it or above; diverged when not finite or above 1.5 × ln(classes). "
        + "The reason names ReLU layers at least 99% dead and, for a run that did not learn, the smallest gradient norm below 1e-3, "
        + "from the last diagnostics."

    /// "plateau: loss 2.3015 ≈ ln 10 = 2.3026" (the word alone when there is no reason).
    public var text: String { reason.map { kind.rawValue + ": " + $0 } ?? kind.rawValue }

    /// The verdict on `epochs` of a classifier with `classes` outputs; nil when there is no epoch.
    public static func judge(_ epochs: [EpochMetrics], classes: Int) -> Verdict? {
        guard let last = epochs.last else { return nil }
        let chance = log(Double(max(classes, 2)))
        let lnText = "ln \(max(classes, 2))"
        let why = diagnosticReason(epochs, gradients: true)
        if let bad = epochs.first(where: { !$0.trainLoss.isFinite }) {
            return Verdict(kind: .diverged, reason: join("train loss not finite at epoch \(bad.epoch)", why))
        }
        let loss = last.trainLoss
        let lossText = "loss " + String(format: "%.4f", loss)
        if loss > divergedFactor * chance {
            return Verdict(kind: .diverged, reason: join(lossText + " > " + String(format: "%g", divergedFactor) + " × " + lnText
                + " = " + String(format: "%.4f", divergedFactor * chance), why))
        }
        if loss >= (1 - plateauTolerance) * chance {
            let relation = abs(loss - chance) <= plateauTolerance * chance ? " ≈ " : " > "
            return Verdict(kind: .plateau, reason: join(why, lossText + relation + lnText + " = " + String(format: "%.4f", chance)))
        }
        return Verdict(kind: .learned, reason: diagnosticReason(epochs, gradients: false))
    }

    /// "dead ReLUs: relu1 100% dead; conv1 gradient norm 1e-6" from the last epoch with
    /// diagnostics (the gradient part only with `gradients`), or nil when nothing there is alarming.
    static func diagnosticReason(_ epochs: [EpochMetrics], gradients: Bool) -> String? {
        guard let layers = epochs.last(where: { !$0.diagnostics.isEmpty })?.diagnostics else { return nil }
        var parts: [String] = []
        let dead = layers.compactMap { l in l["dead_fraction"].flatMap { $0.isFinite && $0 >= deadShare ? (l.name, $0) : nil } }
        if !dead.isEmpty {
            let shares = dead.map { String(format: "%.0f%%", 100 * $0.1) }
            let list = Set(shares).count == 1 ? dead.map(\.0).joined(separator: ", ") + " " + shares[0]
                                              : zip(dead, shares).map { "\($0.0) \($1)" }.joined(separator: ", ")
            parts.append("dead ReLUs: " + list + " dead")
        }
        let grads = layers.compactMap { l in l["grad_norm"].flatMap { $0.isFinite ? (l.name, $0) : nil } }
        if gradients, let weakest = grads.min(by: { $0.1 < $1.1 }), weakest.1 < vanishingGradient {
            parts.append("\(weakest.0) gradient norm " + scientific(weakest.1))
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// 0 -> "0", 1.23e-6 -> "1.2e-6".
    static func scientific(_ v: Double) -> String {
        guard v != 0 else { return "0" }
        var e = Int(log10(abs(v)).rounded(.down))
        var m = (v / pow(10, Double(e)) * 10).rounded() / 10
        if abs(m) >= 10 { m /= 10; e += 1 }
        return String(format: "%g", m) + "e\(e)"
    }

    private static func join(_ parts: String?...) -> String? {
        let present = parts.compactMap { $0 }
        return present.isEmpty ? nil : present.joined(separator: "; ")
    }
}
