// What a file is by its first bytes, before a parser meets it, so that a checkpoint given where a
// YAML file is expected is named as a checkpoint (not "not UTF-8 text"), and a file given where a
// checkpoint is expected is named as not one (not "header length ... beyond the limit").
// safetensors: an 8-byte little-endian header length N >= 2, then N bytes of JSON header that
// begin with '{' (the format requires it), all inside the file.

public enum FileSniff {
    /// True when a file of `fileSize` bytes whose first 9 bytes are `prefix` has a safetensors
    /// header: its length fits the file and the header starts with '{'. `prefix` may be shorter
    /// (a short file is not safetensors).
    public static func isSafeTensors(prefix: some Collection<UInt8>, fileSize: Int) -> Bool {
        let bytes = Array(prefix.prefix(9))
        guard bytes.count == 9, fileSize >= 10 else { return false }
        var length: UInt64 = 0
        for i in (0..<8).reversed() { length = length << 8 | UInt64(bytes[i]) }
        return length >= 2 && length <= UInt64(fileSize - 8) && bytes[8] == UInt8(ascii: "{")
    }

    /// The same test on a whole file's bytes.
    public static func isSafeTensors(_ contents: some Collection<UInt8>) -> Bool {
        isSafeTensors(prefix: contents.prefix(9), fileSize: contents.count)
    }
}
