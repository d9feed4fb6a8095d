// Bad input (config, data, checkpoint, arguments): the caller prints `message` as one line and
// exits with code 2. The message always names the file or key and what was expected.

public struct InputError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message.replacingOccurrences(of: "\n", with: "\\n") }   // one line, even when it quotes input
    public var description: String { message }
}
