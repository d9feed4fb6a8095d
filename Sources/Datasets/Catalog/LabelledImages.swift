// What loading a dataset gives: the images of one split and the names of its classes, so that a
// checkpoint can record what each output means. classNames.count == images.classes, and
// classNames[k] names label k.

/// One split of a dataset: the images (labels in 0..<classes) and a name per class.
public struct LabelledImages {
    public var images: ImageSet
    public var classNames: [String]     // (images.classes)

    public init(images: ImageSet, classNames: [String]) {
        precondition(classNames.count == images.classes, "\(classNames.count) class names for \(images.classes) classes")
        self.images = images
        self.classNames = classNames
    }

    /// "0", "1", ..., for datasets whose classes have no names.
    static func numbered(_ classes: Int) -> [String] { (0 ..< classes).map(String.init) }

    /// `names` fitted to a model's `count` outputs: cut to `count`, or extended with the numbers
    /// of the outputs past the data's classes (a model may have more outputs than classes).
    public static func names(_ names: [String], count: Int) -> [String] {
        names.count >= count ? Array(names.prefix(count)) : names + (names.count ..< count).map(String.init)
    }
}

/// Which part of a dataset: training (validation is cut from its tail later) or test.
public typealias DataSplit = MNIST.Split
