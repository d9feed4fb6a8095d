// Every YAML dtrain reads goes through ConfigValue.parse and its YAMLBudget (issue 22): nested
// aliases ("billion laughs"), flow and block documents nested thousands of levels deep and
// oversized text are refused with an InputError naming the file and the limit, before anything
// is expanded; real documents, large ones included, still parse.

import Core
import NN
import XCTest

final class YAMLBudgetTests: XCTestCase {
    /// 9 levels of 9 aliases: 9^9 (387 million) scalars once expanded.
    static let aliasBomb: String = {
        var lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for i in 1...9 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        return "model: models/lenet5.yaml\n" + lines.joined(separator: "\n") + "\n"
    }()

    private func assertRefused(_ text: String, mentions: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ConfigValue.parse(yaml: text, file: "hostile.yaml"), file: file, line: line) { error in
            let message = (error as? InputError)?.message ?? "\(error)"
            XCTAssertTrue(message.hasPrefix("hostile.yaml: "), message, file: file, line: line)
            XCTAssertTrue(message.contains(mentions), message, file: file, line: line)
        }
    }

    func testAliasBombIsRefused() {
        assertRefused(Self.aliasBomb, mentions: "limit of \(YAMLBudget.maxNodes) nodes")
    }

    func testManyCheapAliasesAreCountedAsExpansions() {
        // 200,000 aliases of one scalar list: few nodes each, but over the expansion limit
        let text = "base: &b [1, 2]\nlist: [" + Array(repeating: "*b", count: 200_000).joined(separator: ", ") + "]\n"
        assertRefused(text, mentions: "limit of \(YAMLBudget.maxAliasExpansions) aliases")
    }

    func testDeepFlowDocumentIsRefused() {
        assertRefused("model: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
                      mentions: "limit of \(YAMLBudget.maxDepth) levels")
    }

    func testDeepBlockDocumentIsRefused() {
        let text = "model:\n" + (0..<3000).map { String(repeating: " ", count: $0 + 1) + "k\($0):" }.joined(separator: "\n")
        assertRefused(text, mentions: "limit of \(YAMLBudget.maxDepth) levels")
    }

    func testOversizedTextIsRefused() {
        assertRefused("# " + String(repeating: "x", count: YAMLBudget.maxBytes) + "\n", mentions: "limit of \(YAMLBudget.maxBytes) bytes")
    }

    func testRealDocumentsStillParse() throws {
        // aliases used honestly, brackets in strings and comments, and a 20,000-layer spec
        let honest = """
            defaults: &d {lr: 0.1, momentum: 0.9}   # [not, a, list
            a: *d
            b: *d
            name: "a [bracketed] name"
            """
        let tree = try ConfigValue.parse(yaml: honest, file: "honest.yaml")
        XCTAssertEqual(tree["a"], tree["defaults"])
        let big = "name: big\ninput: [1, 28, 28]\nlayers:\n" + String(repeating: "  - relu\n", count: 20_000)
            + "  - flatten\n  - linear: {out: 10}\n"
        XCTAssertEqual(try ModelSpec.parse(yaml: big, file: "big.yaml").layers.count, 20_002)
    }
}
