// The one JSON encoding and decoding of every typed record (Records/*.swift): one line, keys
// sorted, slashes unescaped; a record file written atomically; a record read back with exit-2
// errors naming the file, the key and the expected shape. JSON has no NaN: non-finite numbers
// are written as null and read back (null or missing) as NaN.

import Foundation

/// The record as one line of JSON (no trailing newline).
public func recordJSONText<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try recordJSONData(value), as: UTF8.self)
}

func recordJSONData<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
}

/// Replaces `path` atomically with the record's JSON line and a newline.
public func writeRecord<T: Encodable>(_ value: T, to path: String) throws {
    let data: Data
    do { data = try recordJSONData(value) + Data("\n".utf8) } catch {
        throw InputError("\(path): cannot be written (\(error.localizedDescription))")
    }
    try writeAtomically(data, to: path)
}

/// The record stored at `path`; `shape` says what was expected, for the error message.
public func readRecord<T: Decodable>(_ type: T.Type = T.self, path: String, shape: String) throws -> T {
    guard let data = FileManager.default.contents(atPath: path) else { throw InputError("\(path): cannot be read") }
    return try decodeRecord(type, from: data, origin: path, shape: shape)
}

/// The record in `data`; errors start with `origin` (a path, or "path:line").
public func decodeRecord<T: Decodable>(_ type: T.Type = T.self, from data: Data, origin: String, shape: String) throws -> T {
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as InputError {
        throw InputError("\(origin): \(error.message)")
    } catch let DecodingError.keyNotFound(key, context) {
        let at = codingPathText(context.codingPath + [key])
        throw InputError("\(origin): missing key '\(at.dropFirst())' (expected \(shape))")
    } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
        let at = codingPathText(context.codingPath)
        throw InputError("\(origin): \(at.isEmpty ? "top level" : at): wrong type (expected \(shape))")
    } catch {
        throw InputError("\(origin): not valid JSON (expected \(shape))")
    }
}

/// ".images[0].values" for a decoding path.
private func codingPathText(_ path: [CodingKey]) -> String {
    path.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
}

// MARK: numbers that may not be finite

extension KeyedEncodingContainer {
    /// `v`, or null when it is NaN or infinite.
    mutating func encodeNumber(_ v: Double, forKey key: Key) throws {
        if v.isFinite { try encode(v, forKey: key) } else { try encodeNil(forKey: key) }
    }

    /// `v`, or null when it is nil, NaN or infinite (the key is always written).
    mutating func encodeNumber(_ v: Double?, forKey key: Key) throws {
        try encodeNumber(v ?? .nan, forKey: key)
    }

    /// The list with null for each non-finite element.
    mutating func encodeNumbers<F: BinaryFloatingPoint & Encodable>(_ v: [F], forKey key: Key) throws {
        try encode(v.map { $0.isFinite ? $0 : nil }, forKey: key)
    }
}

extension KeyedDecodingContainer {
    /// The number under `key`; NaN when it is null or missing.
    func number(_ key: Key) throws -> Double { try decodeIfPresent(Double.self, forKey: key) ?? .nan }

    /// The number under `key`, nil when it is null or missing.
    func optionalNumber(_ key: Key) throws -> Double? { try decodeIfPresent(Double.self, forKey: key) }

    /// The list under `key` (empty when missing), null elements as NaN.
    func numbers<F: BinaryFloatingPoint & Decodable>(_ key: Key, as: F.Type = F.self) throws -> [F] {
        (try decodeIfPresent([F?].self, forKey: key) ?? []).map { $0 ?? .nan }
    }
}
