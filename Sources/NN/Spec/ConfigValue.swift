// A YAML document as a small value tree with ordered maps, plus strict readers that name the file
// and key path in every error. Model specs and run configs are both read through this, so an
// unknown key or a value of the wrong type is always one line: "FILE: KEY: expected ..., got ...".

import Core
import Yams

public indirect enum ConfigValue: Equatable, Sendable {
    case null
    case scalar(String)
    case list([ConfigValue])
    case map([Entry])

    public struct Entry: Equatable, Sendable {
        public var key: String
        public var value: ConfigValue
        public init(_ key: String, _ value: ConfigValue) { self.key = key; self.value = value }
    }

    /// Parses YAML text within YAMLBudget's limits. `file` names the source in error messages.
    public static func parse(yaml text: String, file: String) throws -> ConfigValue {
        try YAMLBudget.checkText(text, file: file)
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            let reason = "\(error)".split(separator: "\n").first.map(String.init) ?? "syntax error"
            throw InputError("\(file): not valid YAML: \(reason)")
        }
        guard let node else { return .null }
        try YAMLBudget.checkNodes(node, file: file)
        return try convert(node, file: file, path: "")
    }

    private static func convert(_ node: Node, file: String, path: String) throws -> ConfigValue {
        switch node {
        case .scalar(let s):
            if s.style == .plain, ["null", "Null", "NULL", "~", ""].contains(s.string) { return .null }
            return .scalar(s.string)
        case .sequence(let seq):
            return .list(try seq.enumerated().map { try convert($1, file: file, path: "\(path)[\($0)]") })
        case .mapping(let m):
            var entries: [Entry] = []
            for (k, v) in m {
                guard case .scalar(let ks) = k else { throw InputError("\(file): \(path): map keys must be plain words") }
                let key = ks.string
                if entries.contains(where: { $0.key == key }) {
                    throw InputError("\(file): \(path.isEmpty ? key : path + "." + key): key appears twice")
                }
                entries.append(Entry(key, try convert(v, file: file, path: path.isEmpty ? key : "\(path).\(key)")))
            }
            return .map(entries)
        }
    }

    public subscript(key: String) -> ConfigValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// Sets `value` at a dotted path ("train.lr"), creating maps on the way.
    public mutating func set(path: [String], to value: ConfigValue) {
        guard let head = path.first else { self = value; return }
        var entries: [Entry]
        if case .map(let e) = self { entries = e } else { entries = [] }
        if let i = entries.firstIndex(where: { $0.key == head }) {
            entries[i].value.set(path: Array(path.dropFirst()), to: value)
        } else {
            var fresh = ConfigValue.null
            fresh.set(path: Array(path.dropFirst()), to: value)
            entries.append(Entry(head, fresh))
        }
        self = .map(entries)
    }

    /// Block-style YAML that `parse` reads back to an equal value.
    public func yaml(indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent)
        switch self {
        case .null, .scalar, .list([]), .map([]):
            return pad + inlineYAML + "\n"
        case .list(let items):
            return items.map { item -> String in
                if item.isNonEmptyCollection {
                    let body = item.yaml(indent: indent + 2)
                    return pad + "-" + String(body.dropFirst(indent + 1))
                }
                return pad + "- " + item.inlineYAML + "\n"
            }.joined()
        case .map(let entries):
            return entries.map { e -> String in
                switch e.value {
                case .map(let m) where !m.isEmpty: return pad + Self.quoted(e.key) + ":\n" + e.value.yaml(indent: indent + 2)
                case .list(let l) where !l.isEmpty: return pad + Self.quoted(e.key) + ":\n" + e.value.yaml(indent: indent + 2)
                default: return pad + Self.quoted(e.key) + ": " + e.value.inlineYAML + "\n"
                }
            }.joined()
        }
    }

    var isNonEmptyCollection: Bool {
        switch self {
        case .map(let e): return !e.isEmpty
        case .list(let l): return !l.isEmpty
        default: return false
        }
    }

    /// Flow-style YAML on one line.
    public var inlineYAML: String {
        switch self {
        case .null: return "null"
        case .scalar(let s): return Self.quoted(s)
        case .list(let items): return "[" + items.map(\.inlineYAML).joined(separator: ", ") + "]"
        case .map(let entries): return "{" + entries.map { Self.quoted($0.key) + ": " + $0.value.inlineYAML }.joined(separator: ", ") + "}"
        }
    }

    private static func quoted(_ s: String) -> String {
        let plainSafe = !s.isEmpty && s.allSatisfy { $0.isLetter || $0.isNumber || "._-/+".contains($0) }
            && !["null", "Null", "NULL", "~", "true", "false", "yes", "no", "on", "off"].contains(s)
        if plainSafe { return s }
        let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"" + escaped + "\""
    }
}

/// A located value: where it came from, for error messages.
public struct ConfigCursor {
    public let value: ConfigValue
    public let file: String
    public let path: String        // "train.lr", "layers[3].conv.kernel"

    public init(_ value: ConfigValue, file: String, path: String = "") {
        self.value = value; self.file = file; self.path = path
    }

    public func fail(_ expected: String) -> InputError {
        InputError("\(file): \(path.isEmpty ? "top level" : path): expected \(expected), got \(describe(value))")
    }

    public func child(_ key: String, _ v: ConfigValue) -> ConfigCursor {
        ConfigCursor(v, file: file, path: path.isEmpty ? key : "\(path).\(key)")
    }

    public func element(_ i: Int, _ v: ConfigValue) -> ConfigCursor {
        ConfigCursor(v, file: file, path: "\(path)[\(i)]")
    }

    public var isNull: Bool { value == .null }

    public func int() throws -> Int {
        guard case .scalar(let s) = value, let v = Int(s.replacingOccurrences(of: "_", with: "")) else {
            throw fail("an integer")
        }
        return v
    }
    public func positiveInt() throws -> Int {
        let v = try int()
        guard v > 0 else { throw fail("a positive integer") }
        return v
    }
    public func nonNegativeInt() throws -> Int {
        let v = try int()
        guard v >= 0 else { throw fail("an integer >= 0") }
        return v
    }
    public func double() throws -> Double {
        guard case .scalar(let s) = value, let v = Double(s.replacingOccurrences(of: "_", with: "")), v.isFinite else {
            throw fail("a number")
        }
        return v
    }
    public func bool() throws -> Bool {
        guard case .scalar(let s) = value else { throw fail("true or false") }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail("true or false")
        }
    }
    public func string() throws -> String {
        guard case .scalar(let s) = value else { throw fail("a string") }
        return s
    }
    public func list() throws -> [ConfigCursor] {
        guard case .list(let items) = value else { throw fail("a list") }
        return items.enumerated().map { element($0, $1) }
    }
    /// An int, or a list of two ints ([h, w]); a single int n means (n, n).
    public func intPair() throws -> (Int, Int) {
        if case .list(let items) = value {
            guard items.count == 2 else { throw fail("an integer or a list of two integers") }
            let a = try element(0, items[0]).int(), b = try element(1, items[1]).int()
            return (a, b)
        }
        guard case .scalar = value else { throw fail("an integer or a list of two integers") }
        let v = try int()
        return (v, v)
    }

    /// A map reader that insists every key is one of `allowed`; an unknown key's message suggests
    /// the allowed key it is closest to, when one is close (Core/Text/Suggestion.swift).
    public func map(allowed: [String]) throws -> ConfigMap {
        guard case .map(let entries) = value else { throw fail("a map of keys: \(allowed.joined(separator: ", "))") }
        for e in entries where !allowed.contains(e.key) {
            let at = path.isEmpty ? e.key : "\(path).\(e.key)"
            throw InputError("\(file): \(at): unknown key '\(e.key)'\(didYouMean(e.key, among: allowed)) (expected one of: \(allowed.joined(separator: ", ")))")
        }
        return ConfigMap(cursor: self, entries: entries)
    }

    private func describe(_ v: ConfigValue) -> String {
        switch v {
        case .null: return "nothing"
        case .scalar(let s): return "'\(s)'"
        case .list: return "a list"
        case .map: return "a map"
        }
    }
}

public struct ConfigMap {
    public let cursor: ConfigCursor
    public let entries: [ConfigValue.Entry]

    public func has(_ key: String) -> Bool { entries.contains { $0.key == key && $0.value != .null } }
    /// The value under `key`, or nil when absent or null.
    public subscript(key: String) -> ConfigCursor? {
        guard let e = entries.first(where: { $0.key == key }), e.value != .null else { return nil }
        return cursor.child(key, e.value)
    }
    public func required(_ key: String) throws -> ConfigCursor {
        guard let c = self[key] else {
            let at = cursor.path.isEmpty ? key : "\(cursor.path).\(key)"
            throw InputError("\(cursor.file): \(at): missing (required)")
        }
        return c
    }
}
