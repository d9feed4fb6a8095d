// Issue 20's check of the cost models: `dtrain bench comm --algorithm A --json` for several forced
// algorithms at one place (shared memory, or an emulated link's rate) and world size, saved by
// launch/scale as algorithms/<place>-np<N>-<algorithm>.json. One alpha, beta and gamma are fitted to
// ALL of a place's algorithms at once (weighted least squares on the relative error, as RingFit),
// over the messages the goal speaks of (>= 64 KiB: below that an HTB-shaped link passes a message
// at once, faster than its rate, and the relative weights would let the small messages set beta),
// so each algorithm's model is a prediction from a network description shared with the others, not
// a curve fitted to itself; each algorithm's timings at every size are then set beside its model.
// The terms are those of the algorithm Open MPI really runs for the forced number at that size.

import Core
import Foundation

/// One place and world size: the joint fit and every (algorithm, size) beside it.
public struct AlgorithmValidation: Sendable {
    public struct Row: Sendable {
        public var algorithm: AllreduceAlgorithm     // the one forced
        public var runs: AllreduceAlgorithm          // the one Open MPI runs at this size
        public var bytes: Int
        public var measuredSeconds: Double
        public var modelSeconds: Double
        public var error: Double { modelSeconds / measuredSeconds - 1 }
    }

    public var place: String                      // "shm" or a link rate
    public var ranks: Int
    public var alpha: Double, beta: Double, gamma: Double
    public var rows: [Row]

    /// The smallest message the ±20% goal speaks of.
    public static let goalFromBytes = 64 * 1024

    /// Fits alpha, beta, gamma to the rows of `measured` (algorithm, bytes, seconds) at `ranks` of at
    /// least `fitFrom` bytes, and sets every row beside the fitted model.
    public init(place: String, ranks: Int, measured: [(AllreduceAlgorithm, Int, Double)], fitFrom: Int = goalFromBytes) throws {
        let usable = measured.filter { $0.2 > 0 && $0.2.isFinite && $0.1 > 0 }
        let terms = usable.map { m -> CostTerms in
            let runs = AllreduceChoice.forced(m.0).algorithm(bytes: m.1, ranks: ranks)
            return runs.terms(bytes: Double(m.1), ranks: ranks) ?? .zero
        }
        let fitted = usable.indices.filter { usable[$0].1 >= fitFrom }
        guard fitted.count >= 3 else {
            throw InputError("\(place) np=\(ranks): a joint fit needs at least 3 timings of \(fitFrom) bytes or more (got \(fitted.count))")
        }
        let (a, b, g) = jointFit(terms: fitted.map { terms[$0] }, seconds: fitted.map { usable[$0].2 })
        guard b > 0 else { throw InputError("\(place) np=\(ranks): the allreduce times do not grow with the message size; no bandwidth to fit") }
        self.place = place
        self.ranks = ranks
        alpha = a; beta = b; gamma = g
        rows = zip(usable, terms).map { m, t in
            Row(algorithm: m.0, runs: AllreduceChoice.forced(m.0).algorithm(bytes: m.1, ranks: ranks), bytes: m.1,
                measuredSeconds: m.2, modelSeconds: t.latencySteps * a + t.bytesSent * b + t.bytesReduced * g)
        }
    }

    /// Every algorithms/<place>-np<N>-<algorithm>.json under `folder`, grouped by (place, N); none: [].
    /// A file that cannot be read, or a group too small to fit, is left out and named through `onSkip`.
    public static func load(folder: String, onSkip: (String) -> Void) -> [AlgorithmValidation] {
        var out: [AlgorithmValidation] = []
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/algorithms")) ?? []).sorted()
        var groups: [String: (place: String, ranks: Int, rows: [(AllreduceAlgorithm, Int, Double)])] = [:]
        for name in names where name.hasSuffix(".json") {
            do { try add(folder + "/algorithms/" + name, name: name, to: &groups) } catch { onSkip("\(error)") }
        }
        for key in groups.keys.sorted() {
            guard let g = groups[key] else { continue }
            do { out.append(try AlgorithmValidation(place: g.place, ranks: g.ranks, measured: g.rows)) } catch { onSkip("\(error)") }
        }
        return out
    }

    /// As `load(folder:onSkip:)`, but the first unusable file or group is an error.
    public static func load(folder: String) throws -> [AlgorithmValidation] {
        var first: String?
        let all = load(folder: folder) { first = first ?? $0 }
        if let first { throw InputError(first) }
        return all
    }

    /// One file's timings added to its (place, world size) group.
    private static func add(_ path: String, name: String,
                            to groups: inout [String: (place: String, ranks: Int, rows: [(AllreduceAlgorithm, Int, Double)])]) throws {
        do {
            let r = try AllreduceBenchRecord.decode(try String(contentsOfFile: path, encoding: .utf8), origin: path)
            guard let algorithmName = r.algorithm, let algorithm = AllreduceAlgorithm(rawValue: algorithmName),
                  algorithm != .twoLevel else {
                throw InputError("\(path): key algorithm: expected one forced Open MPI algorithm, found \(r.algorithm ?? "none")")
            }
            let stem = String(name.dropLast(5))
            guard let npRange = stem.range(of: "-np\(r.worldSize)-") else {
                throw InputError("\(path): expected the name <place>-np\(r.worldSize)-<algorithm>.json (world size \(r.worldSize) in the file)")
            }
            let place = String(stem[..<npRange.lowerBound])
            let key = "\(place)/\(r.worldSize)"
            var g = groups[key] ?? (place, r.worldSize, [])
            g.rows += r.samples.map { (algorithm, $0.bytes, $0.us * 1e-6) }
            groups[key] = g
        } catch let e as InputError {
            throw e
        } catch {
            throw InputError("\(path): cannot read (\(error.localizedDescription))")
        }
    }

    /// The rows from `goalFromBytes` up, and the largest |error| among them.
    public var goalRows: [Row] { rows.filter { $0.bytes >= Self.goalFromBytes } }
    public var worstGoalError: Double { goalRows.map { abs($0.error) }.max() ?? .nan }
}

/// alpha, beta, gamma >= 0 minimising sum ((a·alpha + b·beta + c·gamma - t) / t)^2; a parameter that
/// would come out negative is held at 0 and the others refitted.
func jointFit(terms: [CostTerms], seconds: [Double]) -> (Double, Double, Double) {
    let columns: [(CostTerms) -> Double] = [{ $0.latencySteps }, { $0.bytesSent }, { $0.bytesReduced }]
    // try the full model, then every subset that drops parameters, keeping the best non-negative one
    var best: ([Double], Double)? = nil
    for mask in (1..<8).reversed() {
        let used = (0..<3).filter { mask & (1 << $0) != 0 }
        guard let x = weightedLeastSquares(used.map { columns[$0] }, terms: terms, seconds: seconds),
              x.allSatisfy({ $0 >= 0 && $0.isFinite }) else { continue }
        var full = [0.0, 0.0, 0.0]
        for (k, i) in used.enumerated() { full[i] = x[k] }
        let residual = zip(terms, seconds).map { t, s -> Double in
            let r = (t.latencySteps * full[0] + t.bytesSent * full[1] + t.bytesReduced * full[2] - s) / s
            return r * r
        }.reduce(0, +)
        if best == nil || residual < best!.1 - 1e-15 { best = (full, residual) }
    }
    let x = best?.0 ?? [0, 0, 0]
    return (x[0], x[1], x[2])
}

/// Normal equations of the relative-error least squares in the given columns, by Gaussian elimination.
private func weightedLeastSquares(_ columns: [(CostTerms) -> Double], terms: [CostTerms], seconds: [Double]) -> [Double]? {
    let k = columns.count
    var m = [[Double]](repeating: [Double](repeating: 0, count: k + 1), count: k)
    for (t, s) in zip(terms, seconds) {
        let w = 1 / (s * s)
        let v = columns.map { $0(t) }
        for i in 0..<k {
            for j in 0..<k { m[i][j] += w * v[i] * v[j] }
            m[i][k] += w * v[i] * s
        }
    }
    // a pivot below 1e-12 of the largest diagonal entry: the columns are (nearly) dependent, as ring's
    // and Rabenseifner's terms are at p = 2, and the split between them would be arbitrary
    let scale = (0..<k).map { abs(m[$0][$0]) }.max() ?? 0
    for col in 0..<k {
        guard let pivot = (col..<k).max(by: { abs(m[$0][col]) < abs(m[$1][col]) }), abs(m[pivot][col]) > 1e-12 * scale else { return nil }
        m.swapAt(col, pivot)
        for r in 0..<k where r != col {
            let f = m[r][col] / m[col][col]
            for c in col...k { m[r][c] -= f * m[col][c] }
        }
    }
    return (0..<k).map { m[$0][k] / m[$0][$0] }
}
