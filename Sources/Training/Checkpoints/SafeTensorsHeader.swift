// Parsing and validating a safetensors JSON header: `__metadata__` must map strings to strings;
// each tensor needs dtype "F32" (or "I64"), a shape of non-negative ints and data_offsets [begin, end] with
// end - begin = 4 x product(shape), inside the data buffer and overlapping no other tensor.

import Core
import Foundation
import NN

struct SafeTensorsHeader {
    var metadata: [String: String] = [:]
    var entries: [SafeTensorsFile.Entry] = []   // sorted by data offset, then name

    /// `fail` turns a description into an error naming the file.
    init(bytes: [UInt8], dataLength: Int, fail: (String) -> InputError) throws {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw fail("header is not valid UTF-8") }
        guard let root = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
            throw fail("header is not valid JSON")
        }
        guard case .object(let fields) = root else { throw fail("header is not a JSON object") }

        for (name, value) in fields {
            if name == "__metadata__" {
                guard case .object(let pairs) = value else { throw fail("__metadata__ is not a string-to-string map") }
                for (key, value) in pairs {
                    guard case .string(let text) = value else {
                        throw fail("__metadata__ value of \(Self.quoted(key)) is not a string")
                    }
                    metadata[key] = text
                }
            } else {
                entries.append(try Self.entry(name, value, dataLength: dataLength) { fail("tensor \(Self.quoted(name)): \($0)") })
            }
        }

        entries.sort { ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name) }
        var end = 0, previous = ""
        for entry in entries where !entry.byteRange.isEmpty {
            guard entry.byteRange.lowerBound >= end else {
                throw fail("tensors \(Self.quoted(previous)) and \(Self.quoted(entry.name)) overlap in the data buffer")
            }
            (end, previous) = (entry.byteRange.upperBound, entry.name)
        }
    }

    private static func entry(_ name: String, _ value: JSONValue, dataLength: Int,
                              fail: (String) -> InputError) throws -> SafeTensorsFile.Entry {
        guard case .object(let info) = value else { throw fail("expected an object with dtype, shape, data_offsets") }
        guard case .string(let dtype)? = info["dtype"] else { throw fail("missing dtype string") }
        guard let type = SafeTensorsFile.DType(rawValue: dtype) else {
            throw fail("dtype \(quoted(dtype)), expected \"F32\" (or \"I64\": BatchNorm's num_batches_tracked)")
        }
        guard case .array(let dims)? = info["shape"] else { throw fail("missing shape array") }
        guard case .array(let offsets)? = info["data_offsets"] else { throw fail("missing data_offsets array") }

        var shape: [Int] = [], count = 1
        for dim in dims {
            guard case .int(let n) = dim, n >= 0 else { throw fail("shape \(dims) must hold non-negative integers") }
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw fail("shape \(shape + [n]) has too many elements") }
            shape.append(n)
            count = product
        }
        guard offsets.count == 2, case .int(let begin) = offsets[0], case .int(let end) = offsets[1],
              begin >= 0, begin <= end else {
            throw fail("data_offsets must be [begin, end] with 0 <= begin <= end")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: type.size)
        guard !overflow, end - begin == bytes else {
            throw fail("data_offsets [\(begin), \(end)] hold \(end - begin) bytes, shape \(shape) needs \(count) x \(type.size)")
        }
        guard end <= dataLength else {
            throw fail("data_offsets [\(begin), \(end)] run past the \(dataLength)-byte data buffer")
        }
        return SafeTensorsFile.Entry(name: name, shape: shape, dtype: type, byteRange: begin..<end)
    }

    /// `text` as a JSON string literal (also used to quote names in one-line error messages).
    static func quoted(_ text: String) -> String { jsonQuoted(text) }

    /// The JSON subset a header uses; floats, booleans and null decode as `.other` and are refused.
    fileprivate enum JSONValue: Decodable, CustomStringConvertible {
        case int(Int), string(String), array([JSONValue]), object([String: JSONValue]), other

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Int.self) { self = .int(v) }
            else if let v = try? c.decode(String.self) { self = .string(v) }
            else if let v = try? c.decode([JSONValue].self) { self = .array(v) }
            else if let v = try? c.decode([String: JSONValue].self) { self = .object(v) }
            else { self = .other }
        }

        var description: String {
            switch self {
            case .int(let n): return String(n)
            case .string(let s): return SafeTensorsHeader.quoted(s)
            case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
            case .object: return "{...}"
            case .other: return "?"
            }
        }
    }
}
