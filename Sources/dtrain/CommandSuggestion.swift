// A mistyped subcommand ("dtrain trian") is one line naming it, the closest command when one is
// close (Core/Text/Suggestion.swift) and the list of commands, exit 2 — instead of the parser's
// "Unexpected argument". Checked before parsing; options and real commands pass through.

import ArgumentParser
import Core

/// Every name `dtrain` accepts as its first word.
func subcommandNames() -> [String] {
    DTrain.configuration.subcommands.map { $0._commandName } + ["help"]
}

/// The one-line message for `arguments` (without the program name) whose first word is not a
/// command, or nil when it is one, is an option, or is absent.
func unknownSubcommand(_ arguments: [String]) -> String? {
    guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
    let names = subcommandNames()
    guard !names.contains(first) else { return nil }
    return "unknown command '\(first)'\(didYouMean(first, among: names)) (commands: \(names.joined(separator: ", ")))"
}
