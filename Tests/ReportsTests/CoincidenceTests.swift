// Lines that hide each other are named: Coincidence's rule (same x, same missing points, every
// drawn y within half a pixel; chains join), and the note under a line plot and under a small
// multiples panel.

import Foundation
import Reports
import XCTest

final class CoincidenceTests: XCTestCase {
    func testHalfAPixelSameXAndSameGapsAndChainsJoin() {
        let x: [Double] = [1, 2, 3]
        let groups = Coincidence.groups(
            x: [x, x, x, x, [1, 2, 4], x, x],
            y: [[10, 20, 30],          // 0
                [10.4, 20, 29.6],      // 1: within 0.5 of 0
                [50, 60, 70],          // 2: apart
                [10.8, 20, 29.2],      // 3: 0.8 from 0, but within 0.5 of 1: joins through it
                [10, 20, 30],          // 4: same y, other x
                [10, nil, 30],         // 5: a gap where 0 has a point
                [nil, nil, nil]])      // 6: nothing drawn
        XCTAssertEqual(groups, [[0, 1, 3]])
        XCTAssertEqual(Coincidence.groups(x: [x, x], y: [[10, 20, 30], [10.6, 20, 30]]), [])
        XCTAssertEqual(Coincidence.groups(x: [x, x], y: [[10, nil, 30], [10, nil, 30]]), [[0, 1]])
        XCTAssertEqual(Coincidence.sentence(["zeros", "normal-0.01", "alexnet"]), "zeros, normal-0.01, alexnet coincide")
    }

    func testLinePlotNamesTheLinesUnderEachOther() {
        var plot = SVGPlot(title: "Validation loss", xLabel: "epoch", yLabel: "loss")
        for name in ["zeros", "normal-0.01", "alexnet", "bias-minus-10"] {
            plot.addLine(name, x: [1, 2, 3], y: [2.3042, 2.3032, 2.3015], markers: true)
        }
        plot.addLine("he", x: [1, 2, 3], y: [0.2, 0.05, 0.03], markers: true)
        XCTAssertTrue(plot.render().contains(">zeros, normal-0.01, alexnet, bias-minus-10 coincide</text>"))
        // the same numbers 1e-3 apart are still one line at 300 px over 0...2.5: named too
        var near = SVGPlot(title: "near", xLabel: "epoch", yLabel: "loss")
        near.addLine("a", x: [1, 2], y: [2.301, 2.302])
        near.addLine("b", x: [1, 2], y: [2.302, 2.303])
        near.addLine("c", x: [1, 2], y: [0.1, 0.2])
        XCTAssertTrue(near.render().contains(">a, b coincide</text>"))
        var apart = SVGPlot(title: "apart", xLabel: "epoch", yLabel: "loss")
        apart.addLine("a", x: [1, 2], y: [2.0, 2.3])
        apart.addLine("b", x: [1, 2], y: [1.0, 2.3])
        XCTAssertFalse(apart.render().contains("coincide"))
    }

    func testSmallMultiplesNameCoincidingLinesPerPanel() {
        var chart = SVGSmallMultiples(title: "grad_norm", seriesNames: ["zeros", "alexnet", "he"])
        chart.panels = [
            .init(title: "conv1", lines: [.init(series: 0, x: [1, 2], y: [0, 0]), .init(series: 1, x: [1, 2], y: [0, 0]),
                                          .init(series: 2, x: [1, 2], y: [0.1, 0.05])]),
            .init(title: "fc2", lines: [.init(series: 0, x: [1, 2], y: [0, 0]), .init(series: 1, x: [1, 2], y: [0.01, 0.02]),
                                        .init(series: 2, x: [1, 2], y: [0.1, 0.05])]),
        ]
        let svg = chart.render()
        XCTAssertEqual(svg.components(separatedBy: "coincide</text>").count - 1, 1, "only conv1 has lines on each other")
        XCTAssertTrue(svg.contains(">zeros, alexnet coincide</text>"))
        // one shared legend: each variant named once, however many panels
        for name in ["zeros", "alexnet", "he"] { XCTAssertEqual(svg.components(separatedBy: ">\(name)</text>").count - 1, 1, name) }
    }
}
