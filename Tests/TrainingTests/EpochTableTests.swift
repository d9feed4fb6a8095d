// The end-of-run table: one row per epoch with the numbers as printed, "-" where an epoch had no
// evaluation (train.eval_every) or the run no validation split, columns right-aligned.

import Core
import XCTest
import Training

final class EpochTableTests: XCTestCase {
    private func epoch(_ n: Int, train: Double, val: (Double, Double)?, test: Double, rate: Double, seconds: Double) -> EpochMetrics {
        EpochMetrics(epoch: n, step: 10 * n, worldSize: 2, lr: 0.1, trainLoss: train, trainAccuracy: 90,
                     valLoss: val?.0, valAccuracy: val?.1, testLoss: test.isNaN ? .nan : 0.2, testAccuracy: test, testTop5: 99,
                     epochSeconds: seconds, imagesPerSec: rate, computeSeconds: 0, commSeconds: 0, dataSeconds: 0,
                     evalSeconds: 0, waitSeconds: 0, rankTrainAccuracy: [90, 90])
    }

    func testRowsAndMissingEvaluation() {
        let text = EpochTable.text([
            epoch(1, train: 1.41894, val: nil, test: .nan, rate: 11874.4, seconds: 0.24),
            epoch(2, train: 0.28716, val: (0.23871, 92.7734), test: 92.0898, rate: 5568, seconds: 0.51),
            epoch(10, train: 0.1, val: (0.185, 94.73), test: 94.04, rate: 123456, seconds: 12.04),
        ])
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines[0], "epoch  train loss  val loss  val acc  test acc   img/s  seconds")
        XCTAssertEqual(lines[1], "    1      1.4189         -        -         -   11874      0.2")
        XCTAssertEqual(lines[2], "    2      0.2872    0.2387   92.77%    92.09%    5568      0.5")
        XCTAssertEqual(lines[3], "   10      0.1000    0.1850   94.73%    94.04%  123456     12.0")
        XCTAssertTrue(text.hasSuffix("\n"))
    }

    func testNoEpochsNoTable() {
        XCTAssertEqual(EpochTable.text([]), "")
    }
}
