// `launch/scale --link`: each training point measured over an emulated link (ranks in two network
// namespaces, TCP over a veth pair shaped by HTB) beside what the projection predicts for it from
// the same link's measured alpha and beta (comm-fit-<rate>.json, `dtrain bench comm` at np=2 across
// the link, taken in two regimes: RingFit.bandwidthRegime). The exchange is Open MPI's choice of
// algorithm for the bytes on the wire (halved by train.compress) at that world size, priced by
// blockLayoutTerms for the ranks per namespace (steps between namespaces on the link's fit, steps
// inside one on the shared-memory fit comm-fit.json); a 16-bit wire format sends the gradients in
// one allreduce and the 12 bytes of step statistics in a second, and adds its conversions,
// measured at np=1 (the same model and format: encoding and decoding every gradient once), and the
// reduction's per element (taken at the same cost per element) for the elements the algorithm
// reduces. The step is np=1's compute (+ optimiser + data) of the same model plus that exchange, as
// the projection adds them (no overlap). Errors are predicted / measured - 1.

import Core
import Foundation

/// One point on an emulated link: what was measured and what the model predicts.
public struct LinkComparison: Sendable {
    public var link: String
    public var linkFit: RingFit                  // the two-regime fit the prediction uses
    public var allSizesFit: RingFit              // the fit as bench comm saved it (all sizes, relative weights)
    public var model: String
    public var compress: String
    public var ranks: Int
    public var ranksPerHost: Int
    public var batchPerRank: Int
    public var wireBytes: Int
    public var algorithm: AllreduceAlgorithm
    public var oversubscribed: Bool
    public var measuredStepMs: Double
    public var measuredExchangeMs: Double
    public var bareAllreduceMs: Double          // fp32, back to back (NaN where compressed: not the wire format)
    public var predictedExchangeMs: Double
    public var predictedStepMs: Double          // NaN without np=1 of the model
    public var codecMs: Double                  // 16-bit: np=1's encode + decode per step (0 for fp32; NaN: not measured)

    public var exchangeError: Double { predictedExchangeMs / measuredExchangeMs - 1 }
    public var stepError: Double { predictedStepMs / measuredStepMs - 1 }
    /// The link's bandwidth from the fit, in Gb/s.
    public var fittedGigabits: Double { 8 / linkFit.model.beta / 1e9 }
}

public enum LinkComparisons {
    /// The fit file of the link `rate` inside a sweep folder.
    public static func fitPath(folder: String, link: String) -> String { folder + "/comm-fit-\(link).json" }

    /// One comparison per working link point of `sweep`; the fits are read from `folder`. The points
    /// of a link whose fit is missing or unreadable are left out, each such link named once through
    /// `onSkip` (the sweep goes on when a fit fails, so must its report); without a readable
    /// comm-fit.json (shared memory) the steps inside a namespace are priced on the link's fit.
    public static func build(sweep: ScalingSweep, folder: String, onSkip: (String) -> Void = { _ in }) -> [LinkComparison] {
        let points = sweep.points.filter { $0.ok && $0.link != nil && $0.ranks > 1 }
        guard !points.isEmpty else { return [] }
        let sharedPath = folder + "/comm-fit.json"
        var shared: RingFit? = nil
        if FileManager.default.fileExists(atPath: sharedPath) {
            do { shared = try CommFitFile.load(sharedPath).fit } catch { onSkip("\(error); steps inside a namespace priced on the link's fit") }
        }
        var fits: [String: RingFit] = [:], missing = Set<String>()
        var out: [LinkComparison] = []
        for p in points {
            guard let link = p.link, !missing.contains(link) else { continue }
            if fits[link] == nil {
                do { fits[link] = try CommFitFile.load(fitPath(folder: folder, link: link)).fit } catch {
                    missing.insert(link)
                    onSkip("link \(link): no prediction, its fit is unusable: \(error)")
                    continue
                }
            }
            guard let saved = fits[link] else { continue }
            let fit = saved.bandwidthRegime()
            func one(_ compress: String) -> ScalePoint? {
                sweep.points.first { $0.ok && $0.ranks == 1 && $0.model == p.model && $0.batchPerRank == p.batchPerRank && $0.compress == compress }
            }
            let base = one("none")
            let codec = p.compress == "none" ? 0 : (one(p.compress)?.allreduceMs ?? .nan)
            // fp32: one allreduce of the whole buffer, gradients and statistics; 16-bit: the gradients'
            // 16-bit allreduce, then the statistics' own fp32 one (GradientCompressor.allreduce)
            let statistics = p.compress == "none" ? 0 : statisticsBytes
            let gradientBytes = p.wireBytes - statistics
            let wire: RingModel = fit.model, inside: RingModel = shared?.model ?? fit.model
            var exchange: Double = 1000 * predictedExchangeSeconds(bytes: gradientBytes, ranks: p.ranks, ranksPerHost: p.ranksPerHost,
                                                                   link: wire, shared: inside)
            if statistics > 0 {
                exchange += 1000 * predictedExchangeSeconds(bytes: statistics, ranks: p.ranks, ranksPerHost: p.ranksPerHost,
                                                            link: wire, shared: inside)
            }
            if p.compress != "none", codec.isFinite {
                let reduced: Double = reducedElements(bytes: gradientBytes, ranks: p.ranks, ranksPerHost: p.ranksPerHost)
                exchange += codec * (1 + reduced / Double(max(1, gradientBytes / 2)))
            }
            let compute = base.map { $0.computeMs + $0.optimizerMs + $0.dataMs } ?? .nan
            out.append(LinkComparison(link: p.link ?? "", linkFit: fit, allSizesFit: saved, model: p.model, compress: p.compress, ranks: p.ranks,
                                      ranksPerHost: p.ranksPerHost, batchPerRank: p.batchPerRank, wireBytes: p.wireBytes,
                                      algorithm: OpenMPITunedAllreduce.chosen(bytes: gradientBytes, ranks: p.ranks),
                                      oversubscribed: p.oversubscribed, measuredStepMs: p.stepMs, measuredExchangeMs: p.exchangeMs,
                                      bareAllreduceMs: p.compress == "none" ? p.bareAllreduceMs : .nan,
                                      predictedExchangeMs: exchange, predictedStepMs: compute + exchange, codecMs: codec))
        }
        return out
    }

    /// The step statistics (loss sum, correct, samples: 3 fp32) that a 16-bit exchange sends apart.
    static let statisticsBytes = 12

    /// 16-bit elements one rank reduces in Open MPI's allreduce of `bytes` (2 bytes an element).
    static func reducedElements(bytes: Int, ranks: Int, ranksPerHost: Int) -> Double {
        let algorithm = OpenMPITunedAllreduce.chosen(bytes: bytes, ranks: ranks)
        let (intra, inter) = blockLayoutTerms(algorithm, bytes: Double(bytes), ranks: ranks, ranksPerNode: max(1, ranksPerHost))
        return (intra.bytesReduced + inter.bytesReduced) / 2
    }

    /// Seconds of Open MPI's allreduce of `bytes` over `ranks` ranks, `ranksPerHost` to a host:
    /// steps between hosts on `link`, steps inside one on `shared` (each fit's beta holds its gamma).
    public static func predictedExchangeSeconds(bytes: Int, ranks: Int, ranksPerHost: Int, link: RingModel, shared: RingModel) -> Double {
        let algorithm = OpenMPITunedAllreduce.chosen(bytes: bytes, ranks: ranks)
        let (intra, inter) = blockLayoutTerms(algorithm, bytes: Double(bytes), ranks: ranks, ranksPerNode: max(1, ranksPerHost))
        return inter.seconds(link: link, gamma: 0) + intra.seconds(link: shared, gamma: 0)
    }
}
