// SafeTensorsFile / SafeTensorsWriter / writeAtomically: round trips, byte-for-byte determinism,
// every malformed-header case refused with an InputError naming the file, a seeded fuzz loop over
// truncations and byte flips, and atomic replacement that never loses the previous file.

import Core
import Foundation
import NN
import Training
import XCTest

final class SafeTensorsTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "safetensors-tests-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        chmod(folder, 0o755)
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: fixtures

    private let metadata = [
        "config": "model: models/lenet5.yaml\ntrain: {epochs: 5, lr: 0.05}\nname: \"quoted\\\\\"\n",
        "epoch": "3", "step": "2577", "seed": "42", "world_size": "4",
        "dtrain_version": "0.1.0", "val_accuracy": "98.74",
    ]

    /// (name, shape, values): 4-D, 1-D, 2-D, a scalar, an empty tensor; special float values.
    private func sampleTensors() -> [(String, [Int], [Float])] {
        var rng = SplitMix64(seed: 7)
        let conv = (0..<150).map { _ in rng.nextUnitFloat() - 0.5 }
        let bias: [Float] = [0, -0.0, 1, .infinity, -.infinity, .leastNonzeroMagnitude]
        let fc = (0..<12).map { Float($0) * 0.25 }
        return [("conv1.weight", [6, 1, 5, 5], conv), ("conv1.bias", [6], bias), ("fc1.weight", [3, 4], fc),
                ("optimizer.conv1.weight.momentum", [6, 1, 5, 5], conv.map { -$0 }),
                ("scale", [], [2.5]), ("empty", [0, 3], [])]
    }

    private func writeSample(_ name: String = "ckpt.safetensors") throws -> String {
        var writer = SafeTensorsWriter(metadata: metadata)
        for (tensor, shape, values) in sampleTensors() {
            values.withUnsafeBufferPointer { writer.add(name: tensor, shape: shape, data: $0) }
        }
        let path = folder + "/" + name
        try writer.write(to: path)
        return path
    }

    private func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// A file with a hand-written header (padded to 8 bytes) followed by `dataBytes` zero bytes.
    private func rawFile(_ name: String, header: [UInt8], dataBytes: Int = 16) throws -> String {
        var header = header
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        var file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { [UInt8]($0) }
        file += header + [UInt8](repeating: 0, count: dataBytes)
        let path = folder + "/" + name
        try Data(file).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func assertRefused(_ path: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let opened = try SafeTensorsFile.open(path: path)
            XCTFail("\(path) opened with \(opened.names)", file: file, line: line)
        } catch let error as InputError {
            let name = (path as NSString).lastPathComponent
            XCTAssertTrue(error.message.contains(name), "no file name in: \(error.message)", file: file, line: line)
            XCTAssertTrue(error.message.contains(fragment), "no '\(fragment)' in: \(error.message)", file: file, line: line)
            XCTAssertFalse(error.message.contains("\n"), "multi-line: \(error.message)", file: file, line: line)
        } catch {
            XCTFail("not an InputError: \(error)", file: file, line: line)
        }
    }

    private func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") }
    }

    // MARK: round trip and format

    func testRoundTripKeepsNamesShapesValuesAndMetadata() throws {
        let loaded = try SafeTensorsFile.open(path: try writeSample())
        XCTAssertEqual(loaded.metadata, metadata)
        let expected = sampleTensors()
        XCTAssertEqual(Set(loaded.names), Set(expected.map(\.0)))
        XCTAssertEqual(loaded.names.filter { $0 != "empty" }, expected.map(\.0).filter { $0 != "empty" })
        for (name, shape, values) in expected {
            XCTAssertEqual(try loaded.entry(name).shape, shape, name)
            XCTAssertEqual(try loaded.floats(name).map(\.bitPattern), values.map(\.bitPattern), name)
        }
        var into = [Float](repeating: 0, count: 6)
        try into.withUnsafeMutableBufferPointer { try loaded.read("conv1.bias", into: $0) }
        XCTAssertEqual(into.map(\.bitPattern), expected[1].2.map(\.bitPattern))
    }

    /// BatchNorm's num_batches_tracked is I64 (shape [], as PyTorch saves it); an F32 read of it or
    /// an I64 read of a float tensor is refused.
    func testInt64TensorsRoundTrip() throws {
        var writer = SafeTensorsWriter(metadata: [:])
        writer.add(name: "bn1.running_mean", shape: [2], data: [0.5, -1].withUnsafeBufferPointer { $0 })
        writer.add(name: "bn1.num_batches_tracked", shape: [], int64s: [1_234_567_890_123])
        let path = folder + "/bn.safetensors"
        try writer.write(to: path)
        let loaded = try SafeTensorsFile.open(path: path)
        XCTAssertEqual(try loaded.entry("bn1.num_batches_tracked").dtype, .i64)
        XCTAssertEqual(try loaded.entry("bn1.num_batches_tracked").shape, [])
        XCTAssertEqual(try loaded.int64s("bn1.num_batches_tracked"), [1_234_567_890_123])
        XCTAssertEqual(try loaded.floats("bn1.running_mean"), [0.5, -1])
        XCTAssertThrowsError(try loaded.floats("bn1.num_batches_tracked"))
        XCTAssertThrowsError(try loaded.int64s("bn1.running_mean"))
        // an I64 entry whose byte range does not hold 8 bytes per value is corrupt
        let header = Array("{\"n\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,8]}}".utf8)
        assertRefused(try rawFile("bad-i64.safetensors", header: header), "needs 2 x 8")
    }

    func testWritesAreByteIdenticalAndFollowTheLayout() throws {
        let first = try bytes(try writeSample("a.safetensors"))
        let second = try bytes(try writeSample("b.safetensors"))
        XCTAssertEqual(first, second)

        let headerLength = first[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(headerLength % 8, 0)
        XCTAssertEqual(first[8], UInt8(ascii: "{"))
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(first[8..<8 + headerLength])) as? [String: Any])
        XCTAssertEqual(header["__metadata__"] as? [String: String], metadata)
        let fc = try XCTUnwrap(header["fc1.weight"] as? [String: Any])
        XCTAssertEqual(fc["dtype"] as? String, "F32")
        XCTAssertEqual(fc["shape"] as? [Int], [3, 4])
        // Contiguous offsets in insertion order: 150 + 6 floats precede fc1.weight.
        XCTAssertEqual(fc["data_offsets"] as? [Int], [624, 672])
        let total = sampleTensors().reduce(0) { $0 + 4 * $1.2.count }
        XCTAssertEqual(first.count, 8 + headerLength + total)
    }

    // MARK: refusals

    func testCorruptFilesAreRefusedWithTheFileName() throws {
        let valid = try bytes(try writeSample())
        let truncated = folder + "/truncated.safetensors"
        try Data(valid[0..<4]).write(to: URL(fileURLWithPath: truncated))
        assertRefused(truncated, "at least an 8-byte header length")

        var pastEnd = valid
        withUnsafeBytes(of: UInt64(valid.count).littleEndian) { pastEnd.replaceSubrange(0..<8, with: $0) }
        let pastEndPath = folder + "/past-end.safetensors"
        try Data(pastEnd).write(to: URL(fileURLWithPath: pastEndPath))
        assertRefused(pastEndPath, "past the end")

        var absurd = valid
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { absurd.replaceSubrange(0..<8, with: $0) }
        let absurdPath = folder + "/absurd.safetensors"
        try Data(absurd).write(to: URL(fileURLWithPath: absurdPath))
        assertRefused(absurdPath, "limit")

        let cases: [(String, String, String)] = [
            ("garbage", "{\"a\": [1, 2,, }", "not valid JSON"),
            ("array", "[1, 2]", "not a JSON object"),
            ("metadata", #"{"__metadata__": {"epoch": 3}}"#, "__metadata__"),
            ("metadata-list", #"{"__metadata__": ["epoch"]}"#, "__metadata__"),
            ("no-offsets", #"{"w": {"dtype": "F32", "shape": [2]}}"#, "data_offsets"),
            ("no-dtype", #"{"w": {"shape": [2], "data_offsets": [0, 8]}}"#, "dtype"),
            ("no-shape", #"{"w": {"dtype": "F32", "data_offsets": [0, 8]}}"#, "shape"),
            ("f16", #"{"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}"#, "F16"),
            ("negative-dim", #"{"w": {"dtype": "F32", "shape": [-2, -1], "data_offsets": [0, 8]}}"#, "non-negative"),
            ("float-dim", #"{"w": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}}"#, "non-negative"),
            ("overflow", #"{"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}}"#, "too many"),
            ("huge-count", #"{"w": {"dtype": "F32", "shape": [4611686018427387904], "data_offsets": [0, 8]}}"#, "needs"),
            ("reversed", #"{"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}"#, "begin <= end"),
            ("three-offsets", #"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8, 9]}}"#, "[begin, end]"),
            ("out-of-range", #"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}"#, "run past"),
            ("size-mismatch", #"{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, "needs 3 x 4"),
            ("overlap", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "# +
                #""b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, "overlap"),
            ("entry-not-object", #"{"w": [0, 8]}"#, "expected an object"),
        ]
        for (name, header, fragment) in cases {
            assertRefused(try rawFile(name + ".safetensors", header: Array(header.utf8)), fragment)
        }
        assertRefused(try rawFile("utf8.safetensors", header: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]), "UTF-8")
        assertRefused(try rawFile("empty-header.safetensors", header: []), "not valid JSON")
    }

    func testHolesBetweenTensorsAreAccepted() throws {
        let header = #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "# +
            #""b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}}"#
        let loaded = try SafeTensorsFile.open(path: try rawFile("holes.safetensors", header: Array(header.utf8)))
        XCTAssertEqual(loaded.names, ["a", "b"])
        XCTAssertEqual(try loaded.floats("b"), [0])
    }

    func testReadRefusesWrongSizeBufferUnknownNameAndTruncatedData() throws {
        let path = try writeSample()
        let loaded = try SafeTensorsFile.open(path: path)
        var small = [Float](repeating: 0, count: 149)
        XCTAssertThrowsError(try small.withUnsafeMutableBufferPointer { try loaded.read("conv1.weight", into: $0) }) {
            let message = ($0 as? InputError)?.message ?? ""
            XCTAssertTrue(message.contains("ckpt.safetensors") && message.contains("expected 149"), message)
        }
        XCTAssertThrowsError(try loaded.floats("conv9.weight")) {
            XCTAssertTrue(($0 as? InputError)?.message.contains("conv9.weight") ?? false, "\($0)")
        }
        // The file shrinks after open: the read reports it instead of returning zeros.
        XCTAssertEqual(truncate(path, 100), 0)
        XCTAssertThrowsError(try loaded.floats("optimizer.conv1.weight.momentum")) {
            XCTAssertTrue(($0 as? InputError)?.message.contains("truncated") ?? false, "\($0)")
        }
    }

    func testFuzzedFilesOpenOrThrowInputError() throws {
        let valid = try bytes(try writeSample())
        let headerEnd = 8 + valid[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        let path = folder + "/fuzz.safetensors"
        let fd = open(path, O_WRONLY | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var rng = SplitMix64(seed: 2024)
        var opened = 0, refused = 0
        let start = Date()
        for _ in 0..<3000 where Date().timeIntervalSince(start) < 60 {
            var file = valid
            var damagedHeader = false   // truncation or a flip before the data buffer
            let mode = rng.next() % 4
            if mode == 0 || mode == 3 {
                file.removeLast(Int(rng.next() % UInt64(file.count)) + 1)
                damagedHeader = true
            }
            if mode >= 1 && !file.isEmpty {
                for _ in 0..<Int(rng.next() % 4) + 1 {
                    // Half the flips land in the length prefix or header, half anywhere.
                    let range = rng.next() % 2 == 0 ? min(headerEnd, file.count) : file.count
                    let at = Int(rng.next() % UInt64(range))
                    file[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                    damagedHeader = damagedHeader || at < headerEnd
                }
            }
            // Rewritten in place (pwrite + ftruncate): creating 3000 files costs seconds on ext4.
            XCTAssertEqual(file.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }, file.count)
            XCTAssertEqual(ftruncate(fd, off_t(file.count)), 0)
            do {
                let loaded = try SafeTensorsFile.open(path: path)
                for name in loaded.names { _ = try loaded.floats(name) }
                opened += 1
            } catch let error as InputError {
                XCTAssertTrue(error.message.hasPrefix(path), error.message)
                XCTAssertTrue(damagedHeader, "data-only damage refused: \(error.message)")
                refused += 1
            }
        }
        XCTAssertGreaterThan(opened, 100)
        XCTAssertGreaterThan(refused, 100)
    }

    // MARK: atomic writes

    func testAtomicWriteReplacesAndLeavesNoTempFiles() throws {
        let path = folder + "/latest.safetensors"
        try writeAtomically(Array("old".utf8), to: path)
        try writeAtomically(Data("new contents".utf8), to: path)
        XCTAssertEqual(String(decoding: try bytes(path), as: UTF8.self), "new contents")
        _ = try writeSample("latest.safetensors")
        XCTAssertEqual(try SafeTensorsFile.open(path: path).metadata["step"], "2577")
        XCTAssertEqual(try leftovers(), [])
    }

    func testFailedWriteKeepsThePreviousFile() throws {
        let path = folder + "/best.safetensors"
        try writeAtomically(Array("previous".utf8), to: path)

        // The producer fails half way: the target is untouched and the temp file is gone.
        struct Interrupted: Error {}
        XCTAssertThrowsError(try writeAtomically(to: path) { write in
            try Array("partial".utf8).withUnsafeBytes { try write($0) }
            throw Interrupted()
        }) { XCTAssertTrue($0 is Interrupted) }
        XCTAssertEqual(String(decoding: try bytes(path), as: UTF8.self), "previous")
        XCTAssertEqual(try leftovers(), [])

        // A folder that cannot be written (chmod is no barrier for root: use a file as the parent).
        let target: String
        if geteuid() == 0 {
            target = path + "/nested.safetensors"
        } else {
            XCTAssertEqual(chmod(folder, 0o555), 0)
            target = path
        }
        XCTAssertThrowsError(try writeAtomically(Array("new".utf8), to: target)) {
            let message = ($0 as? InputError)?.message ?? "\($0)"
            XCTAssertTrue(message.hasPrefix(target + ": cannot write: "), message)
        }
        var writer = SafeTensorsWriter(metadata: [:])
        [Float(1)].withUnsafeBufferPointer { writer.add(name: "w", shape: [1], data: $0) }
        XCTAssertThrowsError(try writer.write(to: target)) { XCTAssertTrue($0 is InputError, "\($0)") }
        chmod(folder, 0o755)
        XCTAssertEqual(String(decoding: try bytes(path), as: UTF8.self), "previous")
        XCTAssertEqual(try leftovers(), [])
    }

    func testCheckWritableDirectory() throws {
        let nested = folder + "/runs/lenet5"
        try checkWritableDirectory(nested)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: nested), [])

        let file = folder + "/plain-file"
        try writeAtomically(Array("x".utf8), to: file)
        for bad in [file, file + "/inside"] {
            XCTAssertThrowsError(try checkWritableDirectory(bad)) {
                let message = ($0 as? InputError)?.message ?? "\($0)"
                XCTAssertTrue(message.hasPrefix(bad + ": "), message)
            }
        }
    }
}

/// CheckpointMetadata on its own (issue 21): every key with negative, zero, huge, non-numeric,
/// empty and missing values either parses to an in-range value or throws an InputError naming the
/// key; a written record reads back equal.
final class CheckpointMetadataTests: XCTestCase {
    private let good = CheckpointMetadata(
        config: "model: {}\n", epoch: 2, step: 130, seed: 42, worldSize: 2, batchSize: 16, globalBatch: 32, model: "lenet5",
        dtrainVersion: "0.1.0", valAccuracy: 97.5, bestValAccuracy: 97.5, allreduce: "exact", exactShift: 30,
        partialEpoch: .init(lossSum: 12.5, correct: 40, seen: 50, seconds: 1.5, rankCorrect: [20, 20], rankSeen: [25, 25]))

    func testRoundTrip() throws {
        XCTAssertEqual(try CheckpointMetadata(strings: good.strings, file: "c.safetensors"), good)
        var whole = good; whole.partialEpoch = nil; whole.valAccuracy = nil
        XCTAssertEqual(try CheckpointMetadata(strings: whole.strings, file: "c.safetensors"), whole)
    }

    func testClassNamesRoundTripAndBadEntriesAreRefused() throws {
        var named = good
        named.classNames = ["T-shirt/top", "Trouser", "a, b", "\"quoted\""]
        XCTAssertEqual(try CheckpointMetadata(strings: named.strings, file: "c.safetensors").classNames, named.classNames)
        XCTAssertNil(try CheckpointMetadata(strings: good.strings, file: "c.safetensors").classNames)
        for bad in ["", "[", "{}", "[1, 2]", "[\"\"]", "[\"" + String(repeating: "x", count: 257) + "\"]", "\"cat\""] {
            var m = named.strings
            m["class_names"] = bad
            XCTAssertThrowsError(try CheckpointMetadata(strings: m, file: "c.safetensors"), bad) { error in
                XCTAssertTrue("\(error)".contains("c.safetensors: metadata 'class_names'"), "\(error)")
            }
        }
    }

    func testHostileValues() throws {
        for key in good.strings.keys.sorted() where key != "format" && key != "model" && key != "dtrain_version" {
            for value in ["-5", "0", "99999999999999999999", "4611686018427387904", "abc", "", "nan", "1e3", nil] as [String?] {
                var m = good.strings
                m[key] = value
                do {
                    let parsed = try CheckpointMetadata(strings: m, file: "c.safetensors")
                    XCTAssertGreaterThanOrEqual(parsed.step, 0); XCTAssertGreaterThanOrEqual(parsed.epoch, 1)
                    XCTAssertGreaterThanOrEqual(parsed.worldSize, 1); XCTAssertTrue((0...60).contains(parsed.exactShift))
                    XCTAssertEqual(parsed.globalBatch % parsed.batchSize, 0)
                } catch let error as InputError {
                    XCTAssertTrue(error.message.hasPrefix("c.safetensors: metadata '"), "\(key)=\(value ?? "missing"): \(error)")
                }
            }
        }
    }

    func testEpochMustAgreeWithStep() throws {
        XCTAssertNoThrow(try good.checkAgainstRun(stepsPerEpoch: 80, totalSteps: 160, file: "c"))
        XCTAssertThrowsError(try good.checkAgainstRun(stepsPerEpoch: 50, totalSteps: 160, file: "c"))   // step 130 is epoch 3
        XCTAssertThrowsError(try good.checkAgainstRun(stepsPerEpoch: 80, totalSteps: 100, file: "c"))   // past the run
    }
}
