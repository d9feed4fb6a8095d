// Pre-flight check before any training: every rank describes what it is about to run (resolved
// config, dtrain version, checksums of the dataset's files as DatasetLoader.sourceFiles lists
// them, parameter count, BLAS threads); all ranks compare the gathered descriptions and stop with
// exit code 2, naming the ranks that differ from rank 0, instead of training replicas that
// silently disagree.

import Core
import Foundation
import NN
import Datasets
import Collective

public struct Fingerprint: Equatable {
    public var fields: [(key: String, value: String)]

    public static func == (a: Fingerprint, b: Fingerprint) -> Bool {
        a.fields.map(\.key) == b.fields.map(\.key) && a.fields.map(\.value) == b.fields.map(\.value)
    }

    public static func of(config: RunConfig, parameterCount: Int) throws -> Fingerprint {
        return Fingerprint(fields: [
            ("config", String(fnv1a64(Array(config.resolvedYAML.utf8)), radix: 16)),
            ("dtrain_version", dtrainVersion),
            ("data", try dataField(config)),
            ("parameters", String(parameterCount)),
            ("blas_threads", String(blasThreads())),
        ])
    }

    /// Up to `listedFiles` files: "file=checksum,..." (paths relative to data.path, in the
    /// dataset's order); more (an image folder): "N files, combined <FNV-1a of that list>", so the
    /// gathered fingerprint stays small.
    static func dataField(_ config: RunConfig) throws -> String {
        let sums = try DatasetLoader.fileChecksums(config.data.dataset, path: config.data.path)
        let listed = sums.map { "\($0.file)=\($0.checksum)" }.joined(separator: ",")
        guard sums.count > listedFiles else { return listed }
        return "\(sums.count) files, combined \(String(fnv1a64(Array(listed.utf8)), radix: 16))"
    }

    static let listedFiles = 32

    var encoded: String { fields.map { "\($0.key)\t\($0.value)" }.joined(separator: "\n") }
    init(fields: [(key: String, value: String)]) { self.fields = fields }
    init(encoded: String) {
        fields = encoded.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }
}

/// Gathers every rank's fingerprint; throws the same InputError on every rank when any differs.
public func preflight(_ mine: Fingerprint, comm: Communicator) throws {
    guard comm.size > 1 else { return }
    let all = comm.allgather(mine.encoded).map(Fingerprint.init(encoded:))
    var problems: [String] = []
    for (rank, other) in all.enumerated() where rank > 0 && other != all[0] {
        let differing = zip(all[0].fields, other.fields).filter { $0.0 != $0.1 }.map(\.0.key)
        problems.append("rank \(rank) differs from rank 0 in \(differing.isEmpty ? "its fields" : differing.joined(separator: ", "))")
    }
    if !problems.isEmpty {
        throw InputError("pre-flight check: " + problems.joined(separator: "; ") + " (same config, data, dtrain build and OPENBLAS_NUM_THREADS are needed on every rank)")
    }
}
