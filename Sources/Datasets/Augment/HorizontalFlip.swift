// Horizontal flip: mirrors each row of one (height, width) plane in place, x -> width - 1 - x.

public func flipHorizontally(_ plane: UnsafeMutablePointer<Float>, width: Int, height: Int) {
    for y in 0..<height {
        let row = plane + y * width
        var i = 0, j = width - 1
        while i < j { (row[i], row[j]) = (row[j], row[i]); i += 1; j -= 1 }
    }
}
