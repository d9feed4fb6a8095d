// SegmentationArbitration with made-up classifier confidences: the whole blob replaces its cut
// parts when the classifier is surer of it, the parts stay when they are surer, overlapping
// choices are settled as one best path, and the preference moves the balance.

import Datasets
import XCTest

final class SegmentationArbitrationTests: XCTestCase {
    /// A region at column `x` of row 0 (its ink does not matter to the arbitration).
    private func region(_ x: Int, width: Int = 10) -> DigitRegion {
        DigitRegion(box: PixelBox(x: x, y: 0, width: width, height: 20), row: 0, ink: GrayscaleImage(width: width, height: 20, filledWith: 0))
    }

    /// Regions a, l, r, b where l and r were cut from one blob w (candidate 4).
    private var splitPage: PageSegmentation {
        PageSegmentation(regions: [region(0), region(20), region(30), region(50)],
                         choices: [SegmentationChoice(range: 1..<3, alternative: [region(20, width: 20)], kind: .unsplit)])
    }

    func testTheWholeBlobWinsWhenTheClassifierIsSurerOfIt() {
        // A wide "0" cut in two: each half is a doubtful digit, the whole is a sure one.
        let picked = SegmentationArbitration.reading(of: splitPage, confidence: [0.99, 0.6, 0.5, 0.98, 0.95])
        XCTAssertEqual(picked, [0, 4, 3])
    }

    func testTheCutStaysWhenItsPartsAreSurer() {
        // "00" touching: both halves are sure zeros, the whole is a doubtful reading.
        let picked = SegmentationArbitration.reading(of: splitPage, confidence: [0.99, 0.99, 0.97, 0.98, 0.7])
        XCTAssertEqual(picked, [0, 1, 2, 3])
    }

    func testOverlappingChoicesAreSettledTogether() {
        // regions 1-2 may be one blob (candidate 4), regions 2-3 one broken digit (candidate 5).
        var page = splitPage
        page.choices.append(SegmentationChoice(range: 2..<4, alternative: [region(30, width: 30)], kind: .merged))
        XCTAssertEqual(SegmentationArbitration.reading(of: page, confidence: [0.99, 0.95, 0.4, 0.3, 0.5, 0.97]), [0, 1, 5])
        XCTAssertEqual(SegmentationArbitration.reading(of: page, confidence: [0.99, 0.5, 0.4, 0.98, 0.97, 0.6]), [0, 4, 3])
        XCTAssertEqual(PageSegmentation(regions: [], choices: []).candidates.count, 0)
        XCTAssertEqual(SegmentationArbitration.reading(of: PageSegmentation(regions: []), confidence: []), [])
    }

    func testThePreferenceMovesTheBalance() {
        // Parts 0.9 * 0.9 = 0.81 against the whole 0.85: the product picks the whole ...
        let confidence = [0.99, 0.9, 0.9, 0.98, 0.85]
        XCTAssertEqual(SegmentationArbitration.reading(of: splitPage, confidence: confidence,
                                                       preference: .init(unsplit: 0, split: 0, merged: 0)), [0, 4, 3])
        // ... and a prior against undoing the cut keeps the parts.
        XCTAssertEqual(SegmentationArbitration.reading(of: splitPage, confidence: confidence,
                                                       preference: .init(unsplit: -0.2, split: 0, merged: 0)), [0, 1, 2, 3])
    }
}
