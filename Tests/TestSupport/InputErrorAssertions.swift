// The assertion every test target uses for bad input: the thrown InputError names what it must.

import Core
import NN
import XCTest

/// Asserts that `body` throws an InputError whose message contains every one of `parts`.
public func assertInputError(_ parts: [String], file: StaticString = #filePath, line: UInt = #line,
                             _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an InputError containing \(parts)", file: file, line: line)
    } catch let error as InputError {
        for p in parts where !error.message.contains(p) {
            XCTFail("'\(error.message)' does not contain '\(p)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected an InputError, got \(error)", file: file, line: line)
    }
}
