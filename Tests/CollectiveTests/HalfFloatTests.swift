// HalfFormat (train.compress's wire formats): fp16 agrees with Swift's Float16 (decode of every
// pattern, encode of 4M fp32 patterns); every 16-bit pattern survives decode -> encode, fp32
// values round to the NEAREST 16-bit value with ties to even (checked against neighbours, not
// against the conversion itself), finite overflow clamps to the largest finite value while inf and
// NaN stay, and the 16-bit sums on ThreadCommunicator at 2 and 4 ranks: at 2 ranks exactly the
// fp32 sum of the rounded inputs rounded once, at 4 the rank-order pairwise combine, within one
// rounding per combine of that fp32 sum, identical on every rank.

import Collective
import XCTest

final class HalfFloatTests: XCTestCase {
    func testEveryBitPatternRoundTrips() {
        for format in HalfFormat.allCases {
            for bits in 0...UInt16.max {
                let x = format.decode(bits)
                if x.isNaN {
                    XCTAssertTrue(format.decode(format.encode(x)).isNaN, "\(format) NaN \(bits)")
                } else {
                    XCTAssertEqual(format.encode(x), bits, "\(format) bits \(bits) (value \(x))")
                }
            }
        }
    }

    /// fp16's branch-free conversions against Swift's Float16 (IEEE conversion, overflow to inf,
    /// which HalfFormat clamps when the input was finite): every 16-bit pattern decoded, and
    /// 4 million fp32 patterns (all exponents, then fp16's range) encoded.
    func testFP16MatchesFloat16() {
        for bits in 0...UInt16.max {
            let want = Float(Float16(bitPattern: bits)), got = HalfFormat.fp16.decode(bits)
            XCTAssertTrue(want.bitPattern == got.bitPattern || want.isNaN && got.isNaN, "decode \(bits): \(got), Float16 \(want)")
        }
        var state: UInt64 = 12345, mismatches = 0
        for k in 0..<4_000_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let random = UInt32(truncatingIfNeeded: state >> 32)
            let x = Float(bitPattern: k < 2_000_000 ? random : random & 0x87FF_FFFF | 0x3000_0000)
            let reference = Float16(x)
            let want = reference.isInfinite && x.isFinite ? (x < 0 ? 0xFBFF : 0x7BFF) : reference.bitPattern
            let got = HalfFormat.fp16.encode(x)
            if !(got == want || x.isNaN && Float16(bitPattern: got).isNaN) {
                mismatches += 1
                if mismatches <= 5 { XCTFail("encode \(x): bits \(got), Float16 \(want)") }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testRoundsToNearestTiesToEven() {
        // fp16 has 10 fraction bits: halfway between 1 and 1 + 2^-10 goes down to the even 1,
        // halfway between 1 + 2^-10 and 1 + 2^-9 goes up to the even 1 + 2^-9
        let fp16 = HalfFormat.fp16
        XCTAssertEqual(fp16.decode(fp16.encode(1 + 0x1p-11)), 1)
        XCTAssertEqual(fp16.decode(fp16.encode(1 + 3 * 0x1p-11)), 1 + 0x1p-9)
        XCTAssertEqual(fp16.decode(fp16.encode(1 + 0x1p-11 + 0x1p-20)), 1 + 0x1p-10, "just above halfway rounds up")
        XCTAssertEqual(fp16.decode(fp16.encode(0x1p-24)), 0x1p-24, "smallest subnormal is exact")
        XCTAssertEqual(fp16.decode(fp16.encode(0x1p-26)), 0, "below half the smallest subnormal: zero")
        // bf16 has 7 fraction bits
        let bf16 = HalfFormat.bf16
        XCTAssertEqual(bf16.decode(bf16.encode(1 + 0x1p-8)), 1)
        XCTAssertEqual(bf16.decode(bf16.encode(1 + 3 * 0x1p-8)), 1 + 0x1p-6)
        XCTAssertEqual(bf16.decode(bf16.encode(-(1 + 3 * 0x1p-8))), -(1 + 0x1p-6))
    }

    /// For pseudo-random fp32 values inside each format's range, the encoded value is at least as
    /// close as both 16-bit neighbours, and on a tie the kept one has an even last bit.
    func testEncodingIsTheNearestValue() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for format in HalfFormat.allCases {
            for _ in 0..<200_000 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let x: Float = format == .fp16
                    ? Float(Int64(bitPattern: state) >> 40) * 0x1p-12          // |x| < 2^11
                    : Float(bitPattern: UInt32(truncatingIfNeeded: state >> 32) & 0xBFFF_FFFF)   // |x| < 2^1, any exponent below
                guard x.isFinite else { continue }
                let h = format.encode(x), got = Double(format.decode(h))
                let up = Double(format.decode(h &+ 1)), down = Double(format.decode(h &- 1))
                let error = abs(Double(x) - got)
                // in sign-magnitude bits h +- 1 are the neighbours of the same sign (NaN or inf past the ends)
                for neighbour in [up, down] where neighbour.isFinite {
                    let other = abs(Double(x) - neighbour)
                    XCTAssertLessThanOrEqual(error, other, "\(format): \(x) -> \(got), but \(neighbour) is closer")
                    if error == other && error > 0 { XCTAssertEqual(h & 1, 0, "\(format): tie at \(x) kept an odd value") }
                }
            }
        }
    }

    func testOverflowClampsFiniteValuesAndKeepsInfAndNaN() {
        let fp16 = HalfFormat.fp16
        XCTAssertEqual(fp16.decode(fp16.encode(65519)), 65504, "rounds down to the largest finite")
        XCTAssertEqual(fp16.decode(fp16.encode(65520)), 65504, "would round to inf: clamped")
        XCTAssertEqual(fp16.decode(fp16.encode(1e9)), 65504)
        XCTAssertEqual(fp16.decode(fp16.encode(-1e9)), -65504)
        XCTAssertEqual(fp16.decode(fp16.encode(.infinity)), .infinity)
        XCTAssertEqual(fp16.decode(fp16.encode(-.infinity)), -.infinity)
        XCTAssertTrue(fp16.decode(fp16.encode(.nan)).isNaN)
        XCTAssertEqual(fp16.decode(fp16.add(fp16.encode(40_000), fp16.encode(40_000))), 65504, "a sum past the range clamps")
        let bf16 = HalfFormat.bf16
        XCTAssertEqual(bf16.decode(bf16.encode(.greatestFiniteMagnitude)), bf16.greatestFinite)
        XCTAssertEqual(bf16.decode(bf16.encode(-.greatestFiniteMagnitude)), -bf16.greatestFinite)
        XCTAssertEqual(bf16.decode(bf16.encode(.infinity)), .infinity)
        XCTAssertTrue(bf16.decode(bf16.encode(.nan)).isNaN)
        XCTAssertTrue(bf16.decode(bf16.encode(-.nan)).isNaN)
    }

    private func input(_ i: Int, _ rank: Int) -> Float {
        Float(sin(Double(i) * 0.731 + Double(rank) * 1.37)) * (rank.isMultiple(of: 2) ? 3 : 0.0123)
    }

    func testThreadSumsAreTheFP32SumOfTheRoundedInputs() throws {
        let n = 4099
        for format in HalfFormat.allCases {
            for P in [2, 4] {
                let results = try ThreadWorld.run(size: P) { comm -> [UInt16] in
                    var x = (0..<n).map { format.encode(self.input($0, comm.rank)) }
                    x.withUnsafeMutableBufferPointer { comm.allreduceSum($0, format: format) }
                    return x
                }
                XCTAssertTrue(results.allSatisfy { $0 == results[0] }, "\(format) P=\(P): every rank the same bits")
                for i in 0..<n {
                    let rounded = (0..<P).map { format.encode(input(i, $0)) }
                    let fp32Sum = rounded.reduce(Float(0)) { $0 + format.decode($1) }
                    if P == 2 {
                        XCTAssertEqual(results[0][i], format.encode(fp32Sum), "\(format) P=2 element \(i)")
                    } else {
                        XCTAssertEqual(results[0][i], rounded.dropFirst().reduce(rounded[0], format.add), "\(format) P=4 element \(i): rank order")
                        // each of the 3 combines rounds by at most half an ulp of a value <= the largest partial sum
                        let largest = (1...P).map { k in abs(rounded.prefix(k).reduce(Float(0)) { $0 + format.decode($1) }) }.max()!
                        let ulp = format == .fp16 ? Float(Float16(largest).ulp) : largest.ulp * 65536
                        XCTAssertLessThanOrEqual(abs(format.decode(results[0][i]) - fp32Sum), 2 * ulp,
                                                 "\(format) P=4 element \(i) vs the fp32 sum")
                    }
                }
            }
        }
    }

    func testThreadReduceAndNonBlockingSumsMatchAllreduce() throws {
        let n = 513
        for format in HalfFormat.allCases {
            let results = try ThreadWorld.run(size: 3) { comm -> [[UInt16]] in
                let mine = (0..<n).map { format.encode(self.input($0, comm.rank)) }
                var all = mine, reduced = mine, started = mine
                all.withUnsafeMutableBufferPointer { comm.allreduceSum($0, format: format) }
                reduced.withUnsafeMutableBufferPointer { comm.reduceSum($0, format: format, root: 1) }
                started.withUnsafeMutableBufferPointer { comm.wait(comm.startAllreduceSum($0, format: format)) }
                return [mine, all, reduced, started]
            }
            for r in 0..<3 {
                XCTAssertEqual(results[r][3], results[r][1], "\(format) rank \(r): startAllreduceSum = allreduceSum")
                XCTAssertEqual(results[r][2], r == 1 ? results[r][1] : results[r][0], "\(format) rank \(r): reduceSum onto rank 1")
            }
        }
    }
}
