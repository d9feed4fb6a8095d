// BatchNorm (nn.BatchNorm2d / nn.SyncBatchNorm semantics): finite-difference gradients in training
// and evaluation mode on spatial and flat inputs, forward values and running statistics against a
// Double reference, strided output, and synchronised statistics across two emulated ranks (two
// threads whose reducer adds both ranks' sums) against one layer on the whole batch.

import Core
import Foundation
import XCTest
import NN

final class BatchNormTests: XCTestCase {
    // MARK: gradients

    /// Planes of 20 (16 + tail), 25 (16 + 8 + tail) and flat rows of 11 (8 + tail) and 3.
    func testGradientsTraining() {
        let cases: [(Shape, Int)] = [(Shape(3, 4, 5), 4), (Shape(2, 5, 5), 3), (Shape(flat: 11), 5), (Shape(flat: 3), 4)]
        for (i, (input, batch)) in cases.enumerated() {
            let bn = BatchNorm(name: "bn\(input)", input: input)
            let h = LayerHarness(bn, batch: batch, seed: 200 + UInt64(i), context: PassContext(training: true))
            checkLayerGradients(h, eps: 1e-2, rtol: 1e-2, atol: 5e-4)
            XCTAssertGreaterThan(bn.numBatchesTracked, 0)
        }
    }

    func testGradientsEvaluation() {
        for (i, (input, batch)) in [(Shape(3, 4, 5), 4), (Shape(flat: 11), 5)].enumerated() {
            let bn = BatchNorm(name: "bn\(input)", input: input)
            let state = buffer(randomArray(input.c, seed: 300 + UInt64(i), in: -0.5...0.5)
                               + randomArray(input.c, seed: 310 + UInt64(i), in: 0.3...2))
            let saved = state.toArray()
            bn.bindState(state.pointer)
            let h = LayerHarness(bn, batch: batch, seed: 320 + UInt64(i), context: .inference)
            checkLayerGradients(h)
            XCTAssertEqual(state.toArray(), saved, "evaluation changed the running statistics")
            XCTAssertEqual(bn.numBatchesTracked, 0)
        }
    }

    // MARK: forward values and running statistics

    private struct Moments { var mean: [Double], biased: [Double], unbiased: [Double] }

    private func moments(_ x: [Float], shape: Shape, batch n: Int) -> Moments {
        let c = shape.c, hw = shape.h * shape.w, m = Double(n * hw)
        var result = Moments(mean: [], biased: [], unbiased: [])
        for ch in 0..<c {
            var values: [Double] = []
            for b in 0..<n { for i in 0..<hw { values.append(Double(x[(b * c + ch) * hw + i])) } }
            let mean = values.reduce(0, +) / m
            let ss = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            result.mean.append(mean); result.biased.append(ss / m); result.unbiased.append(ss / (m - 1))
        }
        return result
    }

    private func reference(_ x: [Float], shape: Shape, batch n: Int, mean: [Double], variance: [Double],
                           gamma: [Float], beta: [Float], eps: Double) -> [Float] {
        let c = shape.c, hw = shape.h * shape.w
        var y = [Float](repeating: 0, count: x.count)
        for b in 0..<n {
            for ch in 0..<c {
                for i in 0..<hw {
                    let j = (b * c + ch) * hw + i
                    y[j] = Float(Double(gamma[ch]) * (Double(x[j]) - mean[ch]) / (variance[ch] + eps).squareRoot()
                                 + Double(beta[ch]))
                }
            }
        }
        return y
    }

    func testForwardAndRunningStatistics() {
        for (input, n) in [(Shape(3, 5, 7), 4), (Shape(flat: 13), 6)] {
            let bn = BatchNorm(name: "bn", input: input)
            let c = input.c
            let gamma = randomArray(c, seed: 401, in: 0.5...2), beta = randomArray(c, seed: 402)
            let params = buffer(gamma + beta), grads = FloatBuffer(count: 2 * c)
            bn.bind(parameters: params.pointer, gradients: grads.pointer)
            let state = FloatBuffer(count: bn.stateCount)
            for i in 0..<state.count { state[i] = .nan }
            BatchNorm.initialState(state.pointer, channels: c)
            XCTAssertEqual(state.toArray(), [Float](repeating: 0, count: c) + [Float](repeating: 1, count: c))
            bn.bindState(state.pointer)
            bn.reserve(batch: n)

            // channel means away from zero and spreads of different sizes
            let x1 = randomArray(n * input.count, seed: 403, in: 1...4), x2 = randomArray(n * input.count, seed: 404, in: -3...0.5)
            let y = FloatBuffer(count: n * input.count)
            var rm = [Double](repeating: 0, count: c), rv = [Double](repeating: 1, count: c)
            for x in [x1, x2] {
                let xb = buffer(x)
                bn.forward(xb.pointer, y.pointer, batch: n, context: PassContext(training: true))
                withExtendedLifetime(xb) {}
                let mo = moments(x, shape: input, batch: n)
                assertClose(y.toArray(), reference(x, shape: input, batch: n, mean: mo.mean, variance: mo.biased,
                                                   gamma: gamma, beta: beta, eps: 1e-5), tolerance: 1e-5, "\(input) y")
                for ch in 0..<c {
                    rm[ch] = 0.9 * rm[ch] + 0.1 * mo.mean[ch]
                    rv[ch] = 0.9 * rv[ch] + 0.1 * mo.unbiased[ch]
                }
            }
            XCTAssertEqual(bn.numBatchesTracked, 2)
            assertClose(Array(state.toArray()[0..<c]), rm.map { Float($0) }, tolerance: 1e-6, "running_mean")
            assertClose(Array(state.toArray()[c...]), rv.map { Float($0) }, tolerance: 1e-6, "running_var")
            XCTAssertEqual(bn.runningMean, state.pointer)
            XCTAssertEqual(bn.runningVar, state.pointer + c)

            // evaluation normalises with the running statistics and changes nothing
            let saved = state.toArray()
            let xb = buffer(x1)
            bn.forward(xb.pointer, y.pointer, batch: n, context: .inference)
            assertClose(y.toArray(), reference(x1, shape: input, batch: n, mean: rm, variance: rv,
                                               gamma: gamma, beta: beta, eps: 1e-5), tolerance: 1e-5, "\(input) eval y")
            XCTAssertEqual(state.toArray(), saved)
            XCTAssertEqual(bn.numBatchesTracked, 2)
            withExtendedLifetime((params, grads, xb)) {}      // the layer holds their pointers
        }
    }

    /// A mean 10^4 times the spread: Σx² summed naively in Float would lose the variance.
    func testLargeMeanKeepsTheVariance() {
        let input = Shape(2, 16, 16), n = 3
        let bn = BatchNorm(name: "bn", input: input, eps: 1e-5)
        let params = buffer([1, 1, 0, 0]), grads = FloatBuffer(count: 4)
        bn.bind(parameters: params.pointer, gradients: grads.pointer)
        let x = randomArray(n * input.count, seed: 410, in: -0.1...0.1).map { 1000 + $0 }
        let y = FloatBuffer(count: x.count)
        let xb = buffer(x)
        bn.forward(xb.pointer, y.pointer, batch: n, context: PassContext(training: true))
        withExtendedLifetime((params, grads, xb)) {}
        let mo = moments(x, shape: input, batch: n)
        // Float's mean of ~1000 is off by up to 3e-5, that is 5e-4 of the spread
        assertClose(y.toArray(), reference(x, shape: input, batch: n, mean: mo.mean, variance: mo.biased,
                                           gamma: [1, 1], beta: [0, 0], eps: 1e-5), tolerance: 2e-3, "large-mean y")
        for ch in 0..<2 {
            XCTAssertEqual(Double(bn.runningVar[ch]), 0.9 + 0.1 * mo.unbiased[ch], accuracy: 1e-6)
        }
    }

    // MARK: strided output

    func testStridedOutput() {
        for (input, n) in [(Shape(3, 5, 5), 3), (Shape(flat: 10), 4)] {
            for training in [true, false] {
                let context = PassContext(training: training)
                let plain = BatchNorm(name: "bn", input: input)
                let h = LayerHarness(plain, batch: n, seed: 500, context: context)
                fill(h.dy, randomArray(h.dy.count, seed: 501))
                h.forward()
                h.backward()

                let strided = BatchNorm(name: "bn", input: input)
                let count = input.count, stride = 2 * count
                strided.outputStride = stride
                XCTAssertEqual(plain.outputStride, count)
                let params = buffer(h.params.toArray()), grads = FloatBuffer(count: params.count)
                strided.bind(parameters: params.pointer, gradients: grads.pointer)
                strided.reserve(batch: n)
                let y = buffer([Float](repeating: 7, count: n * stride))
                var dyValues = [Float](repeating: .nan, count: n * stride)   // the gaps must not be read
                for b in 0..<n { for i in 0..<count { dyValues[b * stride + i] = h.dy[b * count + i] } }
                let dy = buffer(dyValues), dx = FloatBuffer(count: n * count)
                strided.forward(h.x.pointer, y.pointer, batch: n, context: context)
                strided.backward(h.x.pointer, y.pointer, dy.pointer, dx.pointer, batch: n)

                for b in 0..<n {
                    for i in 0..<count {
                        XCTAssertEqual(y[b * stride + i], h.y[b * count + i], "y[\(b), \(i)]")
                        XCTAssertEqual(y[b * stride + count + i], 7, "gap [\(b), \(i)] written")
                    }
                }
                XCTAssertEqual(dx.toArray(), h.dx.toArray(), "\(input) training \(training) dx")
                XCTAssertEqual(grads.toArray(), h.grads.toArray(), "\(input) training \(training) dParams")
                withExtendedLifetime((params, dy)) {}
            }
        }
    }

    // MARK: synchronised statistics

    /// Two ranks of 4 samples in threads, statistics summed by the reducer, against one layer of 8:
    /// outputs, input gradients and running statistics equal the whole batch's; the ranks' local
    /// γ and β gradients add up to the whole batch's (the trainer's average of them is the
    /// gradient of the ranks' mean loss, as DDP with SyncBatchNorm).
    func testSyncMatchesTheWholeBatch() {
        for input in [Shape(3, 4, 5), Shape(flat: 9)] {
            let half = 4, n = 2 * half, count = input.count, c = input.c
            let params = randomArray(2 * c, seed: 600, in: 0.5...1.5)
            let x = [randomArray(n * count, seed: 601, in: 0...3), randomArray(n * count, seed: 602, in: -2...1)]
            let dy = [randomArray(n * count, seed: 603), randomArray(n * count, seed: 604)]

            // reference: the whole batch in one layer
            let whole = BatchNorm(name: "bn", input: input)
            let wp = buffer(params), wg = FloatBuffer(count: 2 * c)
            whole.bind(parameters: wp.pointer, gradients: wg.pointer)
            let wy = FloatBuffer(count: n * count), wdx = FloatBuffer(count: n * count)
            for step in 0..<2 {
                let xb = buffer(x[step]), dyb = buffer(dy[step])
                whole.forward(xb.pointer, wy.pointer, batch: n, context: PassContext(training: true))
                whole.backward(xb.pointer, wy.pointer, dyb.pointer, wdx.pointer, batch: n)
                withExtendedLifetime((xb, dyb)) {}
            }

            // two ranks
            let exchange = PairExchange()
            let ranks = (0..<2).map { r -> BatchNorm in
                let bn = BatchNorm(name: "bn", input: input)
                bn.reducer = RankReducer(rank: r, exchange: exchange)
                return bn
            }
            let rp = (0..<2).map { _ in buffer(params) }, rg = (0..<2).map { _ in FloatBuffer(count: 2 * c) }
            let ry = (0..<2).map { _ in FloatBuffer(count: half * count) }
            let rdx = (0..<2).map { _ in FloatBuffer(count: half * count) }
            for r in 0..<2 { ranks[r].bind(parameters: rp[r].pointer, gradients: rg[r].pointer) }
            runInTwoThreads { r in
                for step in 0..<2 {
                    let slice = (r * half * count)..<((r + 1) * half * count)
                    let xb = buffer(Array(x[step][slice])), dyb = buffer(Array(dy[step][slice]))
                    ranks[r].forward(xb.pointer, ry[r].pointer, batch: half, context: PassContext(training: true))
                    ranks[r].backward(xb.pointer, ry[r].pointer, dyb.pointer, rdx[r].pointer, batch: half)
                    withExtendedLifetime((xb, dyb)) {}
                }
            }
            for r in 0..<2 {
                XCTAssertEqual((ranks[r].reducer as! RankReducer).calls, 4, "one sum per forward and per backward")
                XCTAssertEqual(ranks[r].numBatchesTracked, 2)
            }
            let tol: Float = 1e-5
            assertClose(ry[0].toArray() + ry[1].toArray(), wy.toArray(), tolerance: tol, "\(input) sync y")
            assertClose(rdx[0].toArray() + rdx[1].toArray(), wdx.toArray(), tolerance: tol, "\(input) sync dx")
            let summed = (0..<(2 * c)).map { rg[0][$0] + rg[1][$0] }
            assertClose(summed, wg.toArray(), tolerance: tol, "\(input) sync dγ, dβ (sum of the ranks')")
            for r in 0..<2 {
                assertClose(Array(UnsafeBufferPointer(start: ranks[r].runningMean, count: 2 * c)),
                            Array(UnsafeBufferPointer(start: whole.runningMean, count: 2 * c)), tolerance: tol,
                            "\(input) rank \(r) running statistics")
            }
            withExtendedLifetime((wp, wg, rp, rg)) {}         // the layers hold their pointers
        }
    }

    /// sync: false keeps local statistics even with a reducer set.
    func testUnsyncedIgnoresTheReducer() {
        let input = Shape(2, 3, 3)
        let bn = BatchNorm(name: "bn", input: input, sync: false)
        let reducer = RankReducer(rank: 0, exchange: PairExchange())
        bn.reducer = reducer
        XCTAssertFalse(bn.sync)
        let h = LayerHarness(bn, batch: 3, seed: 700, context: PassContext(training: true))
        h.forward()
        h.backward()
        XCTAssertEqual(reducer.calls, 0)
        XCTAssertEqual(bn.parameterShapes.map(\.suffix), ["weight", "bias"])
        XCTAssertEqual(bn.parameterShapes.map(\.shape), [[2], [2]])
        XCTAssertEqual(bn.stateCount, 4)
        XCTAssertGreaterThan(bn.workspaceFloats(batch: 3, inputGradient: true), 0)
    }

    private func runInTwoThreads(_ body: @escaping (Int) -> Void) {
        let done = DispatchSemaphore(value: 0)
        for r in 0..<2 {
            let thread = Thread { body(r); done.signal() }
            thread.start()
        }
        done.wait(); done.wait()
    }
}

/// Two ranks' in-place sums: each call waits for the other rank's call of the same round, then
/// both arrays hold a + b (same order on both ranks, so the results are identical).
private final class PairExchange: @unchecked Sendable {
    private let condition = NSCondition()
    private var slots: [UnsafeMutablePointer<Double>?] = [nil, nil]
    private var arrived = 0, round = 0

    func sum(rank: Int, _ values: UnsafeMutablePointer<Double>, count: Int) {
        condition.lock()
        defer { condition.unlock() }
        slots[rank] = values
        arrived += 1
        if arrived == 2 {
            let a = slots[0]!, b = slots[1]!
            for i in 0..<count { let s = a[i] + b[i]; a[i] = s; b[i] = s }
            slots = [nil, nil]; arrived = 0; round += 1
            condition.broadcast()
        } else {
            let mine = round
            while round == mine { condition.wait() }
        }
    }
}

private final class RankReducer: StatisticsReducer, @unchecked Sendable {
    let rank: Int
    let exchange: PairExchange
    private(set) var calls = 0
    init(rank: Int, exchange: PairExchange) { self.rank = rank; self.exchange = exchange }
    func sum(_ values: UnsafeMutablePointer<Double>, count: Int) {
        calls += 1
        exchange.sum(rank: rank, values, count: count)
    }
}
