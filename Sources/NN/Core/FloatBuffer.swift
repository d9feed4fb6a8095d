// An owned, fixed-size, zero-initialised Float buffer. Layers and the trainer hold these for
// activations and workspaces; kernels work on `.pointer` (no bounds checks, no ARC in loops).

import Core

public final class FloatBuffer {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        self.count = count
        pointer = allocateChecked(Float.self, count: count, for: "a buffer of \(count) floats (activations or a workspace)")
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { releaseChecked(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }
    public func zero() { pointer.update(repeating: 0, count: count) }
    public func toArray() -> [Float] { Array(buffer) }
    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}

/// A buffer that grows to the largest size asked of it and is then reused (workspaces whose size
/// depends on the batch size).
public struct Workspace {
    public private(set) var storage: FloatBuffer = FloatBuffer(count: 0)
    public init() {}
    public mutating func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if storage.count < count { storage = FloatBuffer(count: count) }
        return storage.pointer
    }
    public var pointer: UnsafeMutablePointer<Float> { storage.pointer }
}
