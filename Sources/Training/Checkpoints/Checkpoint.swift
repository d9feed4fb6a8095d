// Training checkpoints in safetensors (DESIGN.md "Checkpoints"): every parameter under its PyTorch
// name and layout, the optimiser's state as optimizer.<name>.<suffix> (SGD: momentum; Adam and
// AdamW: exp_avg, exp_avg_sq; the step count and the optimiser's name are metadata), BatchNorm's
// running statistics (F32) and num_batches_tracked (I64) under their names, and string metadata
// (config, epoch, step, seed, world_size, dtrain_version, val_accuracy, plus the running sums of a
// partly-done epoch so a mid-epoch resume reports the same metrics). Loading checks names and
// shapes against the model before any parameter is overwritten.

import Core
import Foundation
import NN

public enum Checkpoint {
    /// "optimizer.<parameter>.<suffix>".
    public static func stateName(_ parameter: String, _ suffix: String) -> String { "optimizer.\(parameter).\(suffix)" }

    /// Writes parameters (+ the optimiser's state when `optimizer` is given) atomically to `path`.
    public static func save(path: String, network: Network, optimizer: Optimizer?, metadata: [String: String]) throws {
        try snapshot(network: network, optimizer: optimizer, metadata: metadata).write(to: path)
    }

    /// A copy of everything a checkpoint holds, ready to be written (to any number of paths, from
    /// any thread): later training steps do not change it.
    public static func snapshot(network: Network, optimizer: Optimizer?, metadata: [String: String]) -> SafeTensorsWriter {
        var writer = SafeTensorsWriter(metadata: metadata)
        let params = UnsafeBufferPointer(network.parameters)
        for t in network.tensors {
            writer.add(name: t.name, shape: t.shape, data: UnsafeBufferPointer(rebasing: params[t.offset ..< t.offset + t.count]))
        }
        let state = UnsafeBufferPointer(network.state)
        for t in network.stateTensors {
            if let offset = t.offset {
                writer.add(name: t.name, shape: t.shape, data: UnsafeBufferPointer(rebasing: state[offset ..< offset + t.count]))
            } else {
                writer.add(name: t.name, shape: t.shape, int64s: [network.batchesTracked(t)])
            }
        }
        for s in optimizer?.state ?? [] {
            let buffer = UnsafeBufferPointer(s.buffer)
            for t in network.tensors {
                writer.add(name: stateName(t.name, s.suffix), shape: t.shape,
                           data: UnsafeBufferPointer(rebasing: buffer[t.offset ..< t.offset + t.count]))
            }
        }
        return writer
    }

    /// Opens `path` and checks that it holds exactly the model's tensors (and the state of an
    /// optimiser of kind `optimizer`, when given), with the same shapes; any optimiser's state
    /// tensors may be present besides. Returns the open file for `load`.
    public static func open(path: String, network: Network, optimizer: OptimizerKind?) throws -> SafeTensorsFile {
        let file = try SafeTensorsFile.open(path: path)
        let suffixes = optimizer?.stateSuffixes ?? []
        for t in network.tensors {
            for name in [t.name] + suffixes.map({ stateName(t.name, $0) }) {
                guard let e = file.entries[name] else {
                    throw InputError("\(path): missing tensor '\(name)' (the model \(network.plan.spec.name) needs it)")
                }
                guard e.shape == t.shape else {
                    throw InputError("\(path): tensor '\(name)' has shape \(e.shape) but the model \(network.plan.spec.name) expects \(t.shape)")
                }
                guard e.dtype == .f32 else {
                    throw InputError("\(path): tensor '\(name)' is \(e.dtype.rawValue), expected F32")
                }
            }
        }
        for t in network.stateTensors {
            guard let e = file.entries[t.name] else {
                throw InputError("\(path): missing tensor '\(t.name)' (the model \(network.plan.spec.name) keeps it: BatchNorm state)")
            }
            let dtype: SafeTensorsFile.DType = t.offset == nil ? .i64 : .f32
            guard e.shape == t.shape, e.dtype == dtype else {
                throw InputError("\(path): tensor '\(t.name)' is \(e.dtype.rawValue) \(e.shape) but the model \(network.plan.spec.name) expects \(dtype.rawValue) \(t.shape)")
            }
        }
        let anyState = Set(OptimizerKind.allCases.flatMap(\.stateSuffixes))
        let known = Set(network.tensors.map(\.name) + network.stateTensors.map(\.name)
                        + network.tensors.flatMap { t in anyState.map { stateName(t.name, $0) } })
        if let extra = file.names.first(where: { !known.contains($0) }) {
            throw InputError("\(path): tensor '\(extra)' is not part of the model \(network.plan.spec.name) (a checkpoint of another model?)")
        }
        return file
    }

    /// Reads parameters (and the optimiser's state buffers) from an opened, checked file into the
    /// network/optimizer. The step count comes from metadata (the caller's).
    public static func load(_ file: SafeTensorsFile, into network: Network, optimizer: Optimizer?) throws {
        for t in network.stateTensors {
            if let offset = t.offset {
                try file.read(t.name, into: UnsafeMutableBufferPointer(rebasing: network.state[offset ..< offset + t.count]))
            } else {
                network.setBatchesTracked(t, try file.int64s(t.name)[0])
            }
        }
        for t in network.tensors {
            try file.read(t.name, into: UnsafeMutableBufferPointer(rebasing: network.parameters[t.offset ..< t.offset + t.count]))
            for s in optimizer?.state ?? [] {
                try file.read(stateName(t.name, s.suffix), into: UnsafeMutableBufferPointer(rebasing: s.buffer[t.offset ..< t.offset + t.count]))
            }
        }
    }

    /// FILE, or DIR/latest.safetensors.
    public static func resolve(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError("\(path): no such checkpoint file or folder")
        }
        if isDirectory.boolValue {
            let latest = (path as NSString).appendingPathComponent("latest.safetensors")
            guard FileManager.default.fileExists(atPath: latest) else {
                throw InputError("\(path): folder holds no checkpoint (no latest.safetensors); expected a checkpoint file or a run folder that training wrote checkpoints into")
            }
            return latest
        }
        return path
    }
}
