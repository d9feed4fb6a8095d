// `dtrain export`: a checkpoint's parameters as NumPy .npy files (format 1.0, little-endian
// float32, C order; BatchNorm's num_batches_tracked int64) plus `model.json` naming every tensor, its shape and file, and a PyTorch
// snippet that rebuilds the state_dict — for inspecting weights without dtrain.

import Core
import Foundation
import NN

public enum NumpyExport {
    /// The bytes of a .npy file holding `values` with `shape`.
    public static func npy(shape: [Int], values: UnsafeBufferPointer<Float>) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
        return npy(shape: shape, descr: "<f4", littleEndianData: data)
    }

    /// The bytes of a .npy file of int64 (BatchNorm's num_batches_tracked).
    public static func npy(shape: [Int], int64s values: [Int64]) -> [UInt8] {
        npy(shape: shape, descr: "<i8", littleEndianData: values.map(\.littleEndian).withUnsafeBytes { Array($0) })
    }

    private static func npy(shape: [Int], descr: String, littleEndianData data: [UInt8]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(dims), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let n = UInt16(header.utf8.count)
        bytes += [UInt8(n & 0xff), UInt8(n >> 8)] + Array(header.utf8)
        return bytes + data
    }

    /// Writes every tensor of `checkpoint` (parameters and momentum) into `folder`.
    public static func export(checkpoint: String, to folder: String) throws -> [String] {
        let path = try Checkpoint.resolve(checkpoint)
        let file = try SafeTensorsFile.open(path: path)
        if file.metadata["config"] != nil {
            _ = try CheckpointMetadata(strings: file.metadata, file: path)     // a dtrain checkpoint: checked as --resume does
        }
        try checkWritableDirectory(folder)
        var written: [String] = []
        var entries: [String] = []
        for name in file.names {
            let entry = try file.entry(name)
            let fileName = name + ".npy"
            if entry.dtype == .i64 {
                try writeAtomically(npy(shape: entry.shape, int64s: try file.int64s(name)), to: folder + "/" + fileName)
            } else {
                let values = try file.floats(name)
                try values.withUnsafeBufferPointer {
                    try writeAtomically(npy(shape: entry.shape, values: $0), to: folder + "/" + fileName)
                }
            }
            written.append(folder + "/" + fileName)
            entries.append("{\"name\": \(jsonQuoted(name)), \"shape\": [\(entry.shape.map(String.init).joined(separator: ", "))], \"file\": \(jsonQuoted(fileName))}")
        }
        var meta = JSONObject()
        for key in file.metadata.keys.sorted() where key != "config" { meta.set(key, .string(file.metadata[key]!)) }
        let loader = "import json, numpy as np, torch; d = json.load(open('model.json')); "
            + "state = {t['name']: torch.from_numpy(np.load(t['file'])) for t in d['tensors'] if not t['name'].startswith('optimizer.')}; "
            + "model.load_state_dict(state)"
        let description = "{\"checkpoint\": \(jsonQuoted(path)), \"metadata\": \(meta.text),\n \"pytorch\": \(jsonQuoted(loader)),\n \"tensors\": [\n  "
            + entries.joined(separator: ",\n  ") + "\n]}\n"
        try writeAtomically(Array(description.utf8), to: folder + "/model.json")
        if let config = file.metadata["config"] {
            try writeAtomically(Array(config.utf8), to: folder + "/config.yaml")
            written.append(folder + "/config.yaml")
        }
        written.append(folder + "/model.json")
        return written
    }
}
