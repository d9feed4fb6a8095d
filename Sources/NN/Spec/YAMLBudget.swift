// Limits on what one YAML document may cost, checked before it becomes a ConfigValue: every YAML
// dtrain reads (run configs, model specs, experiment files, the config saved in a checkpoint)
// passes here. Without them nested aliases ("billion laughs": 9 levels of 9 aliases) expand to
// 9^9 nodes and take gigabytes, and a flow document nested 100,000 levels deep overflows the
// parser's recursion. The limits sit far above any real config (LeNet-5's is ~150 nodes, a
// 20,000-layer spec ~150,000): text 16 MiB, nesting 200 levels, 2,000,000 resolved nodes and
// 100,000 alias expansions. Past one, the document is an InputError naming the file and the limit.

import Core
import Yams

public enum YAMLBudget {
    public static let maxBytes = 16 << 20
    public static let maxDepth = 200
    public static let maxNodes = 2_000_000
    public static let maxAliasExpansions = 100_000

    /// Before parsing: the size, and the nesting depth of flow collections ([...], {...}) and of
    /// indentation (a block level is at least one column), both of which the parser recurses on.
    static func checkText(_ text: String, file: String) throws {
        let bytes = text.utf8
        guard bytes.count <= maxBytes else {
            throw InputError("\(file): YAML of \(bytes.count) bytes is over the limit of \(maxBytes) bytes")
        }
        // Brackets inside quoted strings count too: only a string with hundreds of them could be
        // refused, which no config has. A comment (" #" or a line's first "#") is skipped.
        var depth = 0, comment = false, lineStart = true, indent = 0, previous: UInt8 = 0x0A
        for c in bytes {
            defer { previous = c }
            if c == 0x0A { comment = false; lineStart = true; indent = 0; continue }
            if comment { continue }
            if lineStart {
                if c == 0x20 || c == 0x2D { indent += 1; continue }           // spaces and "- " both nest
                lineStart = false
                if indent > maxDepth * 4 {
                    throw InputError("\(file): YAML nested deeper than the limit of \(maxDepth) levels (a line indented \(indent) columns)")
                }
            }
            switch c {
            case 0x23: if previous == 0x20 || previous == 0x09 || previous == 0x0A { comment = true }
            case 0x5B, 0x7B:
                depth += 1
                if depth > maxDepth { throw InputError("\(file): YAML nested deeper than the limit of \(maxDepth) levels") }
            case 0x5D, 0x7D: depth = max(depth - 1, 0)
            default: break
            }
        }
    }

    /// After composing: the number of nodes the document resolves to, with every alias expanded,
    /// counted without expanding anything (a node reached again through an alias carries its
    /// anchor's position, and its size is remembered by that position).
    static func checkNodes(_ root: Node, file: String) throws {
        var sizes: [Int: Int] = [:]                          // position -> resolved nodes below it
        var expansions = 0
        func key(_ m: Mark?) -> Int? { m.map { $0.line << 24 | $0.column } }
        func size(_ node: Node, depth: Int) throws -> Int {
            guard depth <= maxDepth else { throw InputError("\(file): YAML nested deeper than the limit of \(maxDepth) levels") }
            let children: [Node]
            switch node {
            case .scalar: return 1
            case .sequence(let s): children = Array(s)
            case .mapping(let m): children = m.flatMap { [$0.key, $0.value] }
            }
            if let k = key(node.mark), let known = sizes[k] {
                expansions += 1
                if expansions > maxAliasExpansions {
                    throw InputError("\(file): YAML expands more than the limit of \(maxAliasExpansions) aliases")
                }
                return known
            }
            var total = 1
            for child in children {
                total += try size(child, depth: depth + 1)
                if total > maxNodes {
                    throw InputError("\(file): YAML resolves to more than the limit of \(maxNodes) nodes (nested aliases?)")
                }
            }
            if let k = key(node.mark) { sizes[k] = total }
            return total
        }
        _ = try size(root, depth: 0)
    }
}
