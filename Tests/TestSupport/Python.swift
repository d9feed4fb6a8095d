// Running the system's Python from tests: the optional cross-checks against PyTorch (skipped
// where `import torch` fails) in every test target that has one.

import Foundation

/// Runs Python with `arguments`: Debian's /usr/bin/python3 first (python3-torch and
/// python3-torchvision install there, and PATH may lead to another interpreter), else python3 on
/// PATH. Returns the exit status (-1: could not start) and stdout; stderr is dropped.
public func runPython(_ arguments: [String]) -> (status: Int32, output: Data) {
    let process = Process()
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return (-1, Data()) }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, data)
}
