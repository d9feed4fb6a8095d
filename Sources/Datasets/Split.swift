// The validation split: the LAST `validation` training images are held out and never trained on.
// Deterministic and world-size independent (it does not depend on the seed either).

import Core
import NN

/// Splits `train` into (the first count - validation images, the last `validation` images).
public func splitValidation(_ train: ImageSet, validation: Int) throws -> (train: ImageSet, validation: ImageSet) {
    guard validation >= 0, validation < train.count else {
        throw InputError("data.validation: expected 0 <= validation < \(train.count) (the training images), found \(validation)")
    }
    let cut = train.count - validation
    return (train.subset(0 ..< cut), train.subset(cut ..< train.count))
}
