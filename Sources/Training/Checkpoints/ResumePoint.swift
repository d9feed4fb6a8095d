// Where a resumed (or evaluated) run starts: a checkpoint's path and its typed, checked metadata,
// read by rank 0 and shared with every rank before the trainer is built (the per-rank batch may
// change when the world size does).

import Core
import Foundation
import NN
import Collective

public struct ResumePoint {
    public var path: String
    public var metadata: CheckpointMetadata

    public var step: Int { metadata.step }
    public var epoch: Int { metadata.epoch }
    public var worldSize: Int { metadata.worldSize }
    public var globalBatch: Int { metadata.globalBatch }
    public var configYAML: String { metadata.config }
    /// The best validation accuracy so far; -infinity when none was recorded.
    public var bestValidation: Double { metadata.bestValAccuracy ?? -Double.infinity }

    /// Rank 0 reads and checks the header of FILE (or DIR/latest.safetensors); every rank gets the
    /// result. A bad value is an InputError on rank 0 (which takes the job down).
    public static func read(_ pathOrFolder: String, comm: Communicator) throws -> ResumePoint {
        var shared: [String] = []                 // [path, then key, value pairs]
        if comm.rank == 0 {
            let path = try Checkpoint.resolve(pathOrFolder)
            let metadata = try CheckpointMetadata(strings: try SafeTensorsFile.open(path: path).metadata, file: path)
            shared = [path] + metadata.strings.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        }
        let bytes = comm.broadcast(bytes: try JSONEncoder().encode(shared).map { $0 }, root: 0)
        guard let list = try? JSONDecoder().decode([String].self, from: Data(bytes)), list.count % 2 == 1 else {
            throw InputError("\(pathOrFolder): checkpoint metadata could not be shared")
        }
        var strings: [String: String] = [:]
        for i in stride(from: 1, to: list.count, by: 2) { strings[list[i]] = list[i + 1] }
        return ResumePoint(path: list[0], metadata: try CheckpointMetadata(strings: strings, file: list[0]))
    }
}
