// torchvision's ImageFolder layout: <root>/train/<class>/<images> and <root>/test/<class>/<images>.
// Classes are the split folder's subfolders sorted by name (UTF-8 byte order, as Python sorts);
// label k is the k-th class, and the test split must have exactly the training split's classes.
// A class holds every file below its folder (symlinks followed, each folder once — one reached
// again through a symlink is an InputError naming it — and at most `maxDepth` levels), listed in
// torchvision's order: by folder path, then by file name. The test split is stored in that order;
// the training split in a fixed shuffle by file name (`ordered`), so the validation tail holds
// every class. Dot-files and dot-folders are skipped;
// plain files directly in the split folder belong to no class and are ignored, as torchvision does.
// Each image is decoded (ImageDecoder: PNG, JPEG, PGM, PPM by content) and resized to the model's
// input (C, H, W) by ResizedImage (stretched, like torchvision's Resize((H, W))), then stored as
// round(v * 255). Channels, by decision: every image is converted to the model's channel
// count, whatever it has — C = 1: luma (ImageDecoder.decode); C = 3: RGB (decodeRGB), grey images
// replicated; nothing is printed or recorded per image; other C are an InputError. Decoded straight
// into the PixelCache file (files x model input) through DatasetLoader.materialise. An empty split
// folder, an empty class (named) and a file that is not an image (named) are InputErrors.

import Core
import Foundation

enum ImageFolder {
    /// Folders deeper than this below a class folder are an InputError.
    static let maxDepth = 16

    static func load(root: String, split: DataSplit, input: (c: Int, h: Int, w: Int)) throws -> LabelledImages {
        guard input.c == 1 || input.c == 3 else {
            throw InputError("\(root): the folder dataset decodes images to 1 (grey) or 3 (RGB) channels; the model input has \(input.c)")
        }
        guard input.h > 0, input.w > 0 else { throw InputError("\(root): model input \(input.h)x\(input.w) has no pixels to resize images to") }
        let classes = try listClasses(root: root, split: split)
        if split == .test {
            let trainNames = try classNames(folder: splitFolder(root, .train))
            let testNames = classes.map(\.name)
            guard trainNames == testNames else {
                let onlyTest = testNames.filter { !trainNames.contains($0) }, onlyTrain = trainNames.filter { !testNames.contains($0) }
                throw InputError("\(splitFolder(root, .test)): its classes differ from \(splitFolder(root, .train))'s "
                                 + "(only in test: \(onlyTest.isEmpty ? "none" : onlyTest.joined(separator: ", ")); "
                                 + "only in train: \(onlyTrain.isEmpty ? "none" : onlyTrain.joined(separator: ", "))): expected the same class folders")
            }
        }
        let entries = ordered(classes, split: split, folder: splitFolder(root, split))
        let files = entries.map(\.file)
        let key = try DatasetLoader.materialiseKey("folder-\(split.rawValue)-\(input.c)x\(input.h)x\(input.w)", files: files)
        let set = try DatasetLoader.materialise(key: key, count: files.count, classes: classes.count, channels: input.c,
                                                height: input.h, width: input.w) { pixels, labels in
            let size = input.c * input.h * input.w                               // pixels: (files, C, H, W)
            for (i, entry) in entries.enumerated() {
                try ResizedImage.decode(entry.file, channels: input.c, height: input.h, width: input.w,
                                        into: pixels.baseAddress! + i * size)
                labels[i] = Int32(entry.label)
            }
        }
        return LabelledImages(images: set, classNames: classes.map(\.name))
    }

    /// Every image file of the train split, then of the test split.
    static func sourceFiles(root: String) throws -> [String] {
        try DataSplit.allCases.flatMap { split in try listClasses(root: root, split: split).flatMap { $0.files } }
    }

    /// The images of a split with their labels, in the order they are stored. Test: torchvision's
    /// (class by class). Train: by FNV-1a 64 of each path relative to the split folder (ties by
    /// path), a fixed shuffle, so that the validation split — the LAST data.validation training
    /// images — is a sample of every class rather than the last class or two; it depends on the
    /// files' names alone, so every rank and every world size gets the same order.
    static func ordered(_ classes: [(name: String, files: [String])], split: DataSplit,
                        folder: String) -> [(file: String, label: Int)] {
        let entries = classes.enumerated().flatMap { k, c in c.files.map { (file: $0, label: k) } }
        guard split == .train else { return entries }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        func rank(_ file: String) -> UInt64 {
            fnv1a64(Array((file.hasPrefix(prefix) ? String(file.dropFirst(prefix.count)) : file).utf8))
        }
        return entries.map { (entry: $0, rank: rank($0.file)) }
            .sorted { ($0.rank, $0.entry.file) < ($1.rank, $1.entry.file) }
            .map(\.entry)
    }

    static func splitFolder(_ root: String, _ split: DataSplit) -> String {
        (root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root) + "/" + split.rawValue
    }

    /// The classes of one split, sorted, each with its files in order; throws when the split has no
    /// class or a class has no file.
    static func listClasses(root: String, split: DataSplit) throws -> [(name: String, files: [String])] {
        let folder = splitFolder(root, split)
        let names = try classNames(folder: folder)
        guard !names.isEmpty else {
            throw InputError("\(folder): no class folders: expected \(folder)/<class>/<image files> (torchvision ImageFolder layout)")
        }
        return try names.map { name in
            let files = try filesBelow(folder + "/" + name)
            guard !files.isEmpty else { throw InputError("\(folder)/\(name): empty class '\(name)': expected at least one image file") }
            return (name, files)
        }
    }

    /// The visible subfolders of `folder`, sorted by UTF-8 bytes.
    static func classNames(folder: String) throws -> [String] {
        guard isDirectory(folder) else {
            throw InputError("\(folder): not a folder: expected \(folder)/<class>/<image files> (torchvision ImageFolder layout)")
        }
        return try entries(folder).filter { isDirectory(folder + "/" + $0) }
    }

    /// The visible files below `folder`, in the order of torchvision's sorted(os.walk(folder)) with
    /// each folder's files sorted: folders by their whole path ("c/a-b" before "c/a/x"), then names.
    static func filesBelow(_ folder: String) throws -> [String] {
        var walked: [(folder: String, files: [String])] = []
        var visited = Set<FolderIdentity>()
        try walk(folder, depth: 0, visited: &visited, into: &walked)
        return walked.sorted { precedes($0.folder, $1.folder) }.flatMap { $0.files }
    }

    /// A folder's (st_dev, st_ino): the same for every path (symlink) that leads to it.
    struct FolderIdentity: Hashable {
        let device: UInt64, inode: UInt64
    }

    /// Appends `folder` with its visible files (sorted) and then every visible subfolder's,
    /// recursively. A folder reached a second time (a symlink to itself or an ancestor, or two
    /// links to one folder) is an InputError naming the path, as is nesting beyond maxDepth.
    private static func walk(_ folder: String, depth: Int, visited: inout Set<FolderIdentity>,
                             into walked: inout [(folder: String, files: [String])]) throws {
        guard depth <= maxDepth else { throw InputError("\(folder): folders nested more than \(maxDepth) deep in a class") }
        var info = stat()
        guard stat(folder, &info) == 0 else { throw InputError("\(folder): cannot stat the folder (\(PosixFile.errnoMessage()))") }
        guard visited.insert(FolderIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))).inserted else {
            throw InputError("\(folder): a folder already walked in this class (a symlink loop or a second link to it): expected each folder once")
        }
        var files: [String] = [], folders: [String] = []
        for name in try entries(folder) {
            let path = folder + "/" + name
            if isDirectory(path) { folders.append(path) } else { files.append(path) }
        }
        walked.append((folder, files))
        for sub in folders { try walk(sub, depth: depth + 1, visited: &visited, into: &walked) }
    }

    /// The names in `folder` that do not start with ".", sorted by UTF-8 bytes.
    static func entries(_ folder: String) throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw InputError("\(folder): cannot list the folder (\(error.localizedDescription))")
        }
        return names.filter { !$0.hasPrefix(".") }.sorted(by: precedes)
    }

    static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
