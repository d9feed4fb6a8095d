// The README's key table (section "## Config keys") lists exactly the keys the run-config parser
// accepts: RunConfig.acceptedKeys, the lists RunConfig.parse checks maps against. A key added to
// the parser and not to the table fails here, as does a table row for a key the parser refuses.
// The parser is held to the lists too: a config naming every listed key parses.

import Core
import Foundation
import NN
import XCTest
import Training

final class ConfigKeysDocumentedTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The first-column keys (`data.path`) of the table under "## Config keys" in README.md.
    private func documentedKeys() throws -> [String] {
        let readme = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: "## Config keys") else {
            XCTFail("README.md has no '## Config keys' section")
            return []
        }
        var keys: [String] = []
        for line in lines[(start + 1)...] {
            if line.hasPrefix("## ") { break }
            guard line.hasPrefix("| `") else { continue }
            let cell = line.dropFirst(3)
            guard let end = cell.firstIndex(of: "`") else { continue }
            keys.append(String(cell[..<end]))
        }
        return keys
    }

    func testEveryAcceptedKeyIsInTheReadmeTable() throws {
        let documented = try documentedKeys()
        XCTAssertFalse(documented.isEmpty, "no rows found in the README's config key table")
        let missing = RunConfig.acceptedKeys.filter { !documented.contains($0) }
        XCTAssertEqual(missing, [], "config keys the parser accepts but README.md's '## Config keys' table does not list")
        let stale = documented.filter { !RunConfig.acceptedKeys.contains($0) }
        XCTAssertEqual(stale, [], "README.md's key table lists keys the parser refuses")
        XCTAssertEqual(Set(documented).count, documented.count, "a key is listed twice")
        XCTAssertTrue(RunConfig.acceptedKeys.contains("data.positive_class"))
    }

    /// Every listed key of each section at once (null values read as absent, so only the key
    /// check runs), inside a config that otherwise parses; and one unlisted key is refused.
    func testTheParserAcceptsExactlyTheListedKeys() throws {
        func nulls(_ keys: [String]) -> String { "{" + keys.map { "\($0): null" }.joined(separator: ", ") + "}" }
        let model = root + "/configs/models/lenet5.yaml"
        let yaml = """
            model: \(model)
            data: \(nulls(RunConfig.dataKeys.filter { !["normalize", "augment"].contains($0) }))
            train: \(nulls(RunConfig.trainKeys.filter { $0 != "schedule" }))
            checkpoint: \(nulls(RunConfig.checkpointKeys))
            """
        XCTAssertNoThrow(try RunConfig.parse(try ConfigValue.parse(yaml: yaml, file: "all.yaml"), file: "all.yaml"))
        let nested = """
            model: \(model)
            data:
              normalize: {mean: 0.5, std: 0.25}
              augment: \(nulls(RunConfig.augmentKeys.filter { $0 != "crop" }).dropLast()), crop: {pad: 2}}
            train: {schedule: {onecycle: \(nulls(RunConfig.oneCycleKeys))}}
            """
        XCTAssertNoThrow(try RunConfig.parse(try ConfigValue.parse(yaml: nested, file: "nested.yaml"), file: "nested.yaml"))
        let step = "model: \(model)\ntrain: {schedule: {step: {every: 2, gamma: null}}}\n"
        XCTAssertNoThrow(try RunConfig.parse(try ConfigValue.parse(yaml: step, file: "step.yaml"), file: "step.yaml"))
        for section in ["data", "train", "checkpoint"] {
            let bad = "model: \(model)\n\(section): {no_such_key: 1}\n"
            XCTAssertThrowsError(try RunConfig.parse(try ConfigValue.parse(yaml: bad, file: "bad.yaml"), file: "bad.yaml"), section)
        }
    }
}
