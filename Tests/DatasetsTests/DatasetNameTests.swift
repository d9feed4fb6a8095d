// DatasetName from data.dataset / data.split / data.labels: every name, its refinements and
// defaults, and each mistake as an InputError naming the key and listing the valid values.

import Core
import Datasets
import XCTest

final class DatasetNameTests: XCTestCase {
    func testEveryNameParsesAndRoundTrips() throws {
        let cases: [(String, String?, String?, DatasetName)] = [
            ("mnist", nil, nil, .mnist), ("fashion-mnist", nil, nil, .fashionMNIST), ("kmnist", nil, nil, .kmnist),
            ("emnist", "letters", nil, .emnist(.letters)), ("emnist", "byclass", nil, .emnist(.byclass)),
            ("idx", nil, nil, .idx), ("cifar10", nil, nil, .cifar10), ("cifar100", nil, nil, .cifar100(.fine)),
            ("cifar100", nil, "coarse", .cifar100(.coarse)), ("folder", nil, nil, .folder),
        ]
        for (dataset, split, labels, expected) in cases {
            let name = try DatasetName(dataset: dataset, split: split, labels: labels)
            XCTAssertEqual(name, expected)
            XCTAssertEqual(name.configName, dataset)
            XCTAssertEqual(try DatasetName(dataset: name.configName, split: name.splitName, labels: name.labelsName), name)
        }
        XCTAssertEqual(DatasetName.configNames.count, 8)
        XCTAssertEqual("\(DatasetName.emnist(.letters))", "emnist letters")
        XCTAssertEqual(EMNISTSplit.allCases.map(\.classes), [47, 62, 47, 10, 26, 10])
    }

    func testMistakesNameTheKeyAndTheChoices() {
        assertInputError(try DatasetName(dataset: "imagenet"), mentions: "data.dataset", "imagenet", "mnist, fashion-mnist", "folder")
        assertInputError(try DatasetName(dataset: "emnist"), mentions: "data.split", "required", "balanced", "letters", "digits")
        assertInputError(try DatasetName(dataset: "emnist", split: "symbols"), mentions: "data.split", "symbols", "balanced")
        assertInputError(try DatasetName(dataset: "mnist", split: "letters"), mentions: "data.split", "only for data.dataset emnist")
        assertInputError(try DatasetName(dataset: "cifar10", labels: "coarse"), mentions: "data.labels", "only for data.dataset cifar100")
        assertInputError(try DatasetName(dataset: "cifar100", labels: "medium"), mentions: "data.labels", "medium", "fine or coarse")
    }
}
