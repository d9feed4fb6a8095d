// The words for a file given where a checkpoint is expected that is not one: a run config or a
// model spec is named as such ("is a run config (...), not a checkpoint"), other text as text, and
// anything else by what its first 8 bytes failed to be. SafeTensorsFile.open calls this only when
// the 8-byte header length cannot be right (beyond the limit or past the end of the file), so a
// checkpoint damaged inside its header keeps its precise message, and one cut short (a plausible
// length, then '{') is never called text.

import Core
import Foundation
import NN

enum NotACheckpoint {
    /// What a checkpoint is, for the end of messages.
    static let expected = "a checkpoint is a safetensors file: an 8-byte header length, a JSON header, the tensors"

    /// "is a run config (it has a top-level model: key), not a checkpoint", "is text, not a
    /// checkpoint", or nil when the file is neither YAML of a known kind nor text. Reads the file
    /// only when it is small enough to be YAML (YAMLBudget.maxBytes).
    static func describe(path: String, fileSize: Int) -> String? {
        guard fileSize <= YAMLBudget.maxBytes, let bytes = FileManager.default.contents(atPath: path) else { return nil }
        // a plausible length followed by '{' is a checkpoint cut short, not text
        if bytes.count >= 9, bytes[bytes.startIndex + 8] == UInt8(ascii: "{"),
           bytes.prefix(8).reversed().reduce(UInt64(0), { $0 << 8 | UInt64($1) }) <= UInt64(SafeTensorsFile.maxHeaderBytes) {
            return nil
        }
        guard let text = String(data: bytes, encoding: .utf8) else { return nil }
        if let document = try? ConfigValue.parse(yaml: text, file: path) {
            let kind = YAMLDocumentKind(document)
            if kind != .other { return "is \(kind.described), not a checkpoint" }
        }
        return "is text, not a checkpoint (\(expected))"
    }
}
