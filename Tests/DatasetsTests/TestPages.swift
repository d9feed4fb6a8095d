// Synthetic page photos for the segmentation and preprocessing tests, composed from MNIST test
// digits: each digit is cropped to its ink, scaled up bilinearly, drawn as dark ink on light paper,
// and the page gets an illumination gradient and sensor noise; it can be rotated about its centre.
// The composition is the truth: every placed digit's box in page coordinates, row by row.

import Datasets
import Foundation
import XCTest

/// The MNIST test split as 28x28 images (ink 1 on 0) with labels, loaded once.
enum MNISTTestDigits {
    static let all: (images: [[Float]], labels: [Int]) = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        guard let set = try? MNIST.load(directory: root + "/data/mnist", split: .test) else { return ([], []) }
        let bytes = set.pixels
        let images = (0..<set.count).map { i in bytes[(i * 784)..<((i + 1) * 784)].map { Float($0) / 255 } }
        return (images, set.labels.map(Int.init))
    }()

    /// Test digit `i` as an image, ink 1 on background 0.
    static func image(_ i: Int) -> GrayscaleImage { GrayscaleImage(width: 28, height: 28, pixels: all.images[i]) }

    /// The index of the `k`-th test digit with label `label`.
    static func index(of label: Int, _ k: Int = 0) -> Int {
        all.labels.indices.filter { all.labels[$0] == label }[k]
    }
}

/// A small deterministic generator (SplitMix64), so every test page is the same on every run.
struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<1.
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }
    /// Roughly normal (sum of four uniforms), mean 0, standard deviation `sigma`.
    mutating func normal(_ sigma: Float) -> Float { ((unit() + unit() + unit() + unit()) - 2) * sigma * 1.732 }
}

/// An ink map (ink 0...1) of MNIST test digit `i` cropped to its ink and scaled to `height` px.
func digitInk(_ i: Int, height: Int) -> GrayscaleImage {
    let image = MNISTTestDigits.image(i)
    var x0 = 28, x1 = -1, y0 = 28, y1 = -1
    for y in 0..<28 { for x in 0..<28 where image[x, y] > 0 { x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y) } }
    var crop = GrayscaleImage(width: x1 - x0 + 1, height: y1 - y0 + 1, filledWith: 0)
    for y in 0..<crop.height { for x in 0..<crop.width { crop[x, y] = image[x0 + x, y0 + y] } }
    let width = max(1, crop.width * height / crop.height)
    var big = crop.resampled(width: width, height: height)
    // Pen strokes are solid: sharpen the bilinear ramp (values 0.2...0.5 become 0...1).
    for k in big.pixels.indices { big.pixels[k] = min(max((big.pixels[k] - 0.2) / 0.3, 0), 1) }
    return big
}

/// A page being composed: paper, ink drawn onto it, then lighting and noise.
struct TestPage {
    var inkMap: GrayscaleImage                 // ink coverage 0...1 over the page
    var boxes: [[PixelBox]] = []               // the placed digits' ink boxes, row by row
    var labels: [[Int]] = []

    init(width: Int, height: Int) { inkMap = GrayscaleImage(width: width, height: height, filledWith: 0) }

    /// Draws `ink` with its top-left corner at (x, y) (ink adds up to at most 1) and returns its box.
    @discardableResult
    mutating func draw(_ ink: GrayscaleImage, x: Int, y: Int) -> PixelBox {
        var x0 = Int.max, x1 = Int.min, y0 = Int.max, y1 = Int.min
        for yy in 0..<ink.height {
            for xx in 0..<ink.width where ink[xx, yy] > 0 {
                let px = x + xx, py = y + yy
                guard px >= 0, py >= 0, px < inkMap.width, py < inkMap.height else { continue }
                inkMap[px, py] = min(1, inkMap[px, py] + ink[xx, yy])
                if ink[xx, yy] >= 0.5 { x0 = min(x0, px); x1 = max(x1, px); y0 = min(y0, py); y1 = max(y1, py) }
            }
        }
        return PixelBox(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
    }

    /// Rows of MNIST test digits `rows[r]` (indices), `height` px tall, starting at (left, top),
    /// `gap` px apart within a row and `rowPitch` px from row to row.
    mutating func drawRows(_ rows: [[Int]], height: Int, left: Int, top: Int, gap: Int, rowPitch: Int) {
        for (r, row) in rows.enumerated() {
            var x = left
            var rowBoxes: [PixelBox] = []
            for i in row {
                let ink = digitInk(i, height: height)
                rowBoxes.append(draw(ink, x: x, y: top + r * rowPitch))
                x += ink.width + gap
            }
            boxes.append(rowBoxes)
            labels.append(row.map { MNISTTestDigits.all.labels[$0] })
        }
    }

    /// The photo: paper `paper` with ink `ink`, lit from the left (brightness falling by `gradient`
    /// towards the right edge), plus noise of standard deviation `noise`; values clamped to 0...1.
    func photo(paper: Float = 0.88, ink: Float = 0.15, gradient: Float = 0.3, noise: Float = 0.03, seed: UInt64 = 1) -> GrayscaleImage {
        var random = TestRandom(state: seed)
        var out = GrayscaleImage(width: inkMap.width, height: inkMap.height, filledWith: 0)
        for y in 0..<out.height {
            for x in 0..<out.width {
                let a = inkMap[x, y]
                let light = 1 - gradient * Float(x) / Float(out.width)
                out[x, y] = min(max((paper * (1 - a) + ink * a) * light + random.normal(noise), 0), 1)
            }
        }
        return out
    }
}

/// `image` rotated by `degrees` (counter-clockwise on screen) about its centre; uncovered
/// corners take `fill`. Bilinear.
func rotated(_ image: GrayscaleImage, degrees: Double, fill: Float) -> GrayscaleImage {
    let a = degrees * Double.pi / 180, c = cos(a), s = sin(a)
    let cx = Double(image.width - 1) / 2, cy = Double(image.height - 1) / 2
    var out = GrayscaleImage(width: image.width, height: image.height, filledWith: fill)
    for y in 0..<image.height {
        for x in 0..<image.width {
            // The source of output (x, y): rotate back by -angle (y grows downwards).
            let dx = Double(x) - cx, dy = Double(y) - cy
            let sx = c * dx - s * dy + cx, sy = s * dx + c * dy + cy
            let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
            guard x0 >= 0, y0 >= 0, x0 + 1 < image.width, y0 + 1 < image.height else { continue }
            let tx = Float(sx - Double(x0)), ty = Float(sy - Double(y0))
            let top = image[x0, y0] + tx * (image[x0 + 1, y0] - image[x0, y0])
            let bottom = image[x0, y0 + 1] + tx * (image[x0 + 1, y0 + 1] - image[x0, y0 + 1])
            out[x, y] = top + ty * (bottom - top)
        }
    }
    return out
}

/// Where point (x, y) goes when its image is rotated as `rotated` does.
func rotatedPoint(x: Double, y: Double, degrees: Double, width: Int, height: Int) -> (x: Double, y: Double) {
    let a = degrees * Double.pi / 180, c = cos(a), s = sin(a)
    let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
    let dx = x - cx, dy = y - cy
    return (c * dx + s * dy + cx, -s * dx + c * dy + cy)
}

/// The number of 8-connected pieces of pixels above 0.5 (a check that a composed page really has
/// the touching or broken digits a test needs).
func pieceCount(_ image: GrayscaleImage, box: PixelBox) -> Int {
    var seen = Set<Int>(), pieces = 0
    for y in box.y..<box.maxY {
        for x in box.x..<box.maxX where image[x, y] > 0.5 && !seen.contains(y * image.width + x) {
            pieces += 1
            var stack = [(x, y)]
            seen.insert(y * image.width + x)
            while let (px, py) = stack.popLast() {
                for dy in -1...1 {
                    for dx in -1...1 {
                        let nx = px + dx, ny = py + dy
                        guard nx >= box.x, ny >= box.y, nx < box.maxX, ny < box.maxY, image[nx, ny] > 0.5,
                              seen.insert(ny * image.width + nx).inserted else { continue }
                        stack.append((nx, ny))
                    }
                }
            }
        }
    }
    return pieces
}

/// Whether the centre of `found` lies inside `truth`.
func centre(of found: PixelBox, isIn truth: PixelBox) -> Bool {
    found.centreX >= Double(truth.x) && found.centreX <= Double(truth.maxX)
        && found.centreY >= Double(truth.y) && found.centreY <= Double(truth.maxY)
}
