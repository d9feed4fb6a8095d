// A JSON object with keys in insertion order, written as one line (metrics.jsonl and --json
// output). Numbers that are not finite are written as null, as Python's json would refuse NaN.

import Foundation

public enum JSONField: Sendable {
    case int(Int), double(Double), string(String), bool(Bool), null
    case array([JSONField]), object(JSONObject)

    public var text: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return v.isFinite ? jsonNumber(v) : "null"
        case .string(let s): return jsonQuoted(s)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let a): return "[" + a.map(\.text).joined(separator: ", ") + "]"
        case .object(let o): return o.text
        }
    }
}

public struct JSONObject: Sendable {
    public private(set) var entries: [(String, JSONField)] = []
    public init() {}
    public mutating func set(_ key: String, _ value: JSONField) {
        if let i = entries.firstIndex(where: { $0.0 == key }) { entries[i].1 = value } else { entries.append((key, value)) }
    }
    public subscript(key: String) -> JSONField? {
        get { entries.first { $0.0 == key }?.1 }
        set { if let newValue { set(key, newValue) } }
    }
    public var text: String { "{" + entries.map { jsonQuoted($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}" }
}

func jsonNumber(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
    return String(format: "%.6g", v).contains("e") ? String(v) : String(format: "%.10g", v)
}

