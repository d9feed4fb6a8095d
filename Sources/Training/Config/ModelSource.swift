// The model a file describes, for `dtrain summary FILE`, recognised by content rather than by name:
//   safetensors header (FileSniff)    a checkpoint: the model inlined in its saved run config (a run
//                                     folder stands for its latest.safetensors)
//   YAML with a top-level model:      a run config: its model (a path beside it, or inline)
//   YAML map otherwise                a model spec (its parser names any unknown key)
// An experiment file, a non-map YAML document, binary data or a file over YAMLBudget.maxBytes is
// refused with one line saying what was expected.

import Core
import Foundation
import NN

public enum ModelSource: String, Sendable {
    case modelSpec = "model spec", runConfig = "run config", checkpoint = "checkpoint"

    static let expected = "expected a model spec (configs/models/*.yaml), a run config (configs/*.yaml) or a checkpoint (.safetensors)"

    /// The model spec that `path` holds or names, and which kind of file it was.
    public static func load(path given: String) throws -> (spec: ModelSpec, source: ModelSource) {
        var isDirectory: ObjCBool = false
        let isFolder = FileManager.default.fileExists(atPath: given, isDirectory: &isDirectory) && isDirectory.boolValue
        let path = isFolder ? try Checkpoint.resolve(given) : given      // a run folder: its latest checkpoint
        let file = try PosixFile.openRegular(path, what: "model spec, run config or checkpoint")
        let size = try file.size()
        var prefix = [UInt8](repeating: 0, count: min(size, 9))
        _ = try prefix.withUnsafeMutableBytes { try file.read(at: 0, into: $0) }
        if FileSniff.isSafeTensors(prefix: prefix, fileSize: size) {
            let checkpoint = try SafeTensorsFile.open(path: path)
            let metadata = try CheckpointMetadata(strings: checkpoint.metadata, file: path)
            let label = "\(path) (saved config)"
            let config = try RunConfig.parse(try ConfigValue.parse(yaml: metadata.config, file: label), file: label)
            return (config.model, .checkpoint)
        }
        guard size <= YAMLBudget.maxBytes else {
            throw InputError("\(path): \(size) bytes, neither YAML (at most \(YAMLBudget.maxBytes) bytes) nor a safetensors checkpoint; \(expected)")
        }
        guard let bytes = FileManager.default.contents(atPath: path), let text = String(data: bytes, encoding: .utf8) else {
            throw InputError("\(path): binary data, neither YAML text nor a safetensors checkpoint; \(expected)")
        }
        let document = try ConfigValue.parse(yaml: text, file: path)
        switch YAMLDocumentKind(document) {
        case .runConfig:
            return (try RunConfig.load(path: path).model, .runConfig)
        case .modelSpec:
            return (try ModelSpec.parse(ConfigCursor(document, file: path)), .modelSpec)
        case .experiment:
            throw InputError("\(path): is \(YAMLDocumentKind.experiment.described); summarise the run config its base: names")
        case .other:
            guard case .map = document else { throw InputError("\(path): YAML but not a map of keys; \(expected)") }
            return (try ModelSpec.parse(ConfigCursor(document, file: path)), .modelSpec)
        }
    }
}
