// gather: pixels by index into a preallocated batch, scaled to [0, 1] and optionally
// normalised; labels follow their images.

import Core
import Datasets
import XCTest

final class BatchGatherTests: XCTestCase {
    let set = ImageSet(channels: 1, height: 1, width: 3, pixels: [0, 255, 51, 10, 20, 30, 128, 64, 1],
                       labels: [4, 5, 6], classes: 10)

    func run(_ indices: [Int32], _ normalization: Normalization?) -> (x: [Float], labels: [Int32]) {
        var x = [Float](repeating: .nan, count: indices.count * 3)
        var labels = [Int32](repeating: -1, count: indices.count)
        indices.withUnsafeBufferPointer { idx in
            x.withUnsafeMutableBufferPointer { xb in
                labels.withUnsafeMutableBufferPointer { lb in
                    gather(set, indices: idx, into: xb.baseAddress!, labels: lb.baseAddress!, normalization: normalization)
                }
            }
        }
        return (x, labels)
    }

    func testScalesToUnitInterval() {
        let (x, labels) = run([2, 0], nil)
        XCTAssertEqual(x, [128 / 255, 64 / 255, 1 / 255, 0, 1, 0.2] as [Float])
        XCTAssertEqual(labels, [6, 4])
    }

    func testNormalises() {
        let norm = Normalization.mnist
        let (x, labels) = run([1, 1, 0], norm)
        let expected: [Float] = [10, 20, 30, 10, 20, 30, 0, 255, 51].map { (Float($0) / 255 - norm.mean) / norm.std }
        XCTAssertEqual(x, expected)
        XCTAssertEqual(labels, [5, 5, 4])
        XCTAssertEqual(x[6], -0.1307 / 0.3081, accuracy: 1e-6)
        XCTAssertEqual(x[7], (1 - 0.1307) / 0.3081, accuracy: 1e-6)
    }
}
