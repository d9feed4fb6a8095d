// Which dataset a run reads (DESIGN.md "Run config", data.dataset), with the two keys that refine
// it: data.split (EMNIST only) and data.labels (CIFAR-100 only). Parsed from the config's strings;
// every mistake is an InputError naming the key and listing what is valid.

import Core

/// The EMNIST splits (file names `emnist-<split>-...`). Class counts as the EMNIST paper gives them;
/// `letters` stores labels 1...26, mapped to 0...25 when loaded.
public enum EMNISTSplit: String, CaseIterable, Equatable, Sendable {
    case balanced, byclass, bymerge, digits, letters, mnist

    /// Classes after loading (letters: 26, its stored labels shifted down by one).
    public var classes: Int {
        switch self {
        case .balanced, .bymerge: return 47
        case .byclass: return 62
        case .digits, .mnist: return 10
        case .letters: return 26
        }
    }
}

/// Which CIFAR-100 label a record's class is: the 100 fine classes or the 20 coarse superclasses.
public enum CIFAR100Labels: String, CaseIterable, Equatable, Sendable {
    case fine, coarse
}

public enum DatasetName: Equatable, Sendable, CustomStringConvertible {
    case mnist, fashionMNIST, kmnist
    case emnist(EMNISTSplit)
    case idx
    case cifar10
    case cifar100(CIFAR100Labels)
    case folder

    /// Every data.dataset value, in the order messages list them.
    public static let configNames = ["mnist", "fashion-mnist", "kmnist", "emnist", "idx", "cifar10", "cifar100", "folder"]

    /// The data.dataset value.
    public var configName: String {
        switch self {
        case .mnist: return "mnist"
        case .fashionMNIST: return "fashion-mnist"
        case .kmnist: return "kmnist"
        case .emnist: return "emnist"
        case .idx: return "idx"
        case .cifar10: return "cifar10"
        case .cifar100: return "cifar100"
        case .folder: return "folder"
        }
    }

    /// The name with its refinement, for logs: "emnist letters", "cifar100 coarse", "mnist".
    public var description: String {
        switch self {
        case .emnist(let split): return "emnist \(split.rawValue)"
        case .cifar100(let labels): return "cifar100 \(labels.rawValue)"
        default: return configName
        }
    }

    /// The dataset named by data.dataset, data.split and data.labels (nil: the key is absent).
    /// Throws an InputError naming the key: an unknown dataset or split, a missing EMNIST split,
    /// a split on a dataset other than emnist, labels on a dataset other than cifar100.
    public init(dataset: String, split: String? = nil, labels: String? = nil) throws {
        let splits = EMNISTSplit.allCases.map(\.rawValue).joined(separator: ", ")
        if let split, dataset != "emnist" {
            throw InputError("data.split: '\(split)' is only for data.dataset emnist (the EMNIST split), not \(dataset)")
        }
        if let labels, dataset != "cifar100" {
            throw InputError("data.labels: '\(labels)' is only for data.dataset cifar100 (fine or coarse), not \(dataset)")
        }
        switch dataset {
        case "mnist": self = .mnist
        case "fashion-mnist": self = .fashionMNIST
        case "kmnist": self = .kmnist
        case "idx": self = .idx
        case "cifar10": self = .cifar10
        case "folder": self = .folder
        case "emnist":
            guard let split else { throw InputError("data.split: required for data.dataset emnist: one of \(splits)") }
            guard let s = EMNISTSplit(rawValue: split) else {
                throw InputError("data.split: unknown EMNIST split '\(split)': expected one of \(splits)")
            }
            self = .emnist(s)
        case "cifar100":
            guard let l = CIFAR100Labels(rawValue: labels ?? "fine") else {
                throw InputError("data.labels: unknown CIFAR-100 labels '\(labels ?? "")': expected fine or coarse")
            }
            self = .cifar100(l)
        default:
            throw InputError("data.dataset: unknown dataset '\(dataset)': expected one of \(Self.configNames.joined(separator: ", "))")
        }
    }

    /// data.split as the config would spell it (nil unless emnist).
    public var splitName: String? { if case .emnist(let s) = self { return s.rawValue } else { return nil } }

    /// data.labels as the config would spell it (nil unless cifar100).
    public var labelsName: String? { if case .cifar100(let l) = self { return l.rawValue } else { return nil } }
}
