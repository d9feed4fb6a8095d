// train.compress: the gradients cross the wire as 16-bit floats (fp16 or bf16, Collective's
// HalfFloat.swift) and are summed in fp32 by the 16-bit reductions; the step statistics (loss sum,
// correct, samples) stay fp32 in their own 3-float reduction. Rounding happens at every world size,
// one rank included, so a run's numerics do not depend on whether anything was sent.
// Buffers (allocated once, at start-up; nothing per step):
//   wire      (P) UInt16   this rank's rounded gradients, then the rounded sums
//   residual  (P) Float    train.compress_feedback only: g + r - decode(encode(g + r)), this rank's
//                          rounding error, added to the next step's gradient before rounding
//                          (starts at zero; not checkpointed: a resumed run starts it at zero again)
// Ranges are of the exchange buffer's whole (P + 3) floats; encode and decode act on their part
// below P (the gradients) only.

import Core
import NN
import Collective

public final class GradientCompressor {
    public let format: HalfFormat
    private let buffer: ExchangeBuffer
    private let wire: UnsafeMutableBufferPointer<UInt16>
    private let residual: UnsafeMutableBufferPointer<Float>?

    public init(format: HalfFormat, feedback: Bool, buffer: ExchangeBuffer) {
        self.format = format
        self.buffer = buffer
        let p = buffer.parameterCount
        wire = .allocate(capacity: p)
        wire.initialize(repeating: 0)
        if feedback {
            let r = UnsafeMutableBufferPointer<Float>.allocate(capacity: p)
            r.initialize(repeating: 0)
            residual = r
        } else {
            residual = nil
        }
    }

    deinit {
        wire.deallocate()
        residual?.deallocate()
    }

    /// This rank's rounding residual (train.compress_feedback; nil without feedback): (P).
    public var feedbackResidual: UnsafeBufferPointer<Float>? { residual.map { UnsafeBufferPointer($0) } }

    /// Bytes one rank sends per step for the gradients and statistics: P x 2 + 3 x 4.
    public var bytesPerStep: Int { buffer.parameterCount * 2 + ExchangeBuffer.statisticsCount * 4 }

    /// The gradient part of `range` (indices below P).
    func gradientPart(_ range: Range<Int>) -> Range<Int> {
        range.clamped(to: 0 ..< buffer.parameterCount)
    }

    /// The 16-bit wire span of a gradient range.
    func wireSpan(_ range: Range<Int>) -> UnsafeMutableBufferPointer<UInt16> {
        UnsafeMutableBufferPointer(rebasing: wire[range])
    }

    /// Rounds the gradients of `range` (its part below P) into the wire (with feedback: gradient + residual, keeping
    /// the new residual).
    public func encode(_ range: Range<Int>) {
        let range = gradientPart(range)
        guard !range.isEmpty else { return }
        let g = buffer.gradients.baseAddress! + range.lowerBound, w = wire.baseAddress! + range.lowerBound
        guard let residual else {
            format.encode(g, into: w, count: range.count)
            return
        }
        let r = residual.baseAddress! + range.lowerBound
        for i in 0..<range.count {
            let corrected = g[i] + r[i]
            let h = format.encode(corrected)
            w[i] = h
            let sent = format.decode(h)
            // an infinite or NaN gradient leaves no residual: it must not poison later steps
            r[i] = corrected.isFinite && sent.isFinite ? corrected - sent : 0
        }
    }

    /// Widens the (summed) wire of `range` back into the gradients.
    public func decode(_ range: Range<Int>) {
        let range = gradientPart(range)
        guard !range.isEmpty else { return }
        format.decode(wire.baseAddress! + range.lowerBound, into: buffer.gradients.baseAddress! + range.lowerBound,
                      count: range.count)
    }

    /// flat: every gradient rounded, ONE 16-bit allreduce, the statistics' fp32 allreduce, widened.
    public func allreduce(_ comm: Communicator) {
        let all = 0 ..< buffer.parameterCount
        encode(all)
        comm.allreduceSum(wireSpan(all), format: format)
        comm.allreduceSum(buffer.statisticsSpan)
        decode(all)
    }

    /// coordinator: the 16-bit sum and the statistics onto `root` only; root's gradients widened.
    public func reduce(_ comm: Communicator, root: Int) {
        let all = 0 ..< buffer.parameterCount
        encode(all)
        comm.reduceSum(wireSpan(all), format: format, root: root)
        comm.reduceSum(buffer.statisticsSpan, root: root)
        if comm.rank == root { decode(all) }
    }
}
