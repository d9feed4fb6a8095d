// `dtrain read-digits --annotate DIR`: an SVG of the photo with each digit's box and label, drawn
// in the photo's own pixel coordinates (viewBox = the photo's width x height), so a box in the
// --json output and a box in the picture are the same numbers. The photo is embedded as a grey
// PNG shrunk to at most `maxSide` pixels on its long side (box-averaged), which keeps the file
// small; the SVG displays it at the photo's size. Box colour says how sure the model is:
// green >= 90%, orange >= 50%, red below. Self-contained (data: URI, no ids, no scripts), so
// `dtrain report` can inline it beside the training figures.

import Core
import Foundation
import Datasets
import Training

public enum AnnotatedPhoto {
    public static let maxSide = 1000

    public static func svg(_ reading: PageReading, photo: DecodedImage) -> String {
        let w = Double(reading.photoWidth), h = Double(reading.photoHeight)
        let thumb = shrink(photo.image, toLongSide: maxSide)
        let png = PNG.encodeGray(width: thumb.width, height: thumb.height,
                                 pixels: thumb.pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) })
        let displayWidth = min(w, 1000), displayHeight = (h * displayWidth / max(w, 1)).rounded()
        let unit = max(w, h) / 500                      // one display pixel at ~500 px, in photo pixels
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\""
        out += " width=\"\(svgNumber(displayWidth))\" height=\"\(svgNumber(displayHeight))\" viewBox=\"0 0 \(svgNumber(w)) \(svgNumber(h))\""
        out += " font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        out += "<title>\(XMLText.escape(reading.line))</title>\n"
        out += "<image x=\"0\" y=\"0\" width=\"\(svgNumber(w))\" height=\"\(svgNumber(h))\" preserveAspectRatio=\"none\" href=\"\(PNG.dataURI(png))\"/>\n"
        for d in reading.digits {
            let color = d.confidence >= 0.9 ? "#1a9850" : d.confidence >= 0.5 ? "#f46d43" : "#d73027"
            let b = d.box
            out += "<rect x=\"\(b.x)\" y=\"\(b.y)\" width=\"\(b.width)\" height=\"\(b.height)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(svgNumber(1.5 * unit))\"/>\n"
            let size = max(9 * unit, min(Double(b.height) * 0.45, 24 * unit))
            let label = "\(d.label) \(Int((100 * d.confidence).rounded()))%"
            let tw = textWidth(label, size: size) + 0.6 * unit
            let top = max(0, Double(b.y) - size * 1.15)
            out += "<rect x=\"\(b.x)\" y=\"\(svgNumber(top))\" width=\"\(svgNumber(tw))\" height=\"\(svgNumber(size * 1.15))\" fill=\"\(color)\" fill-opacity=\"0.85\"/>\n"
            out += "<text x=\"\(svgNumber(Double(b.x) + 0.3 * unit))\" y=\"\(svgNumber(top + size * 0.92))\" font-size=\"\(svgNumber(size))\" fill=\"#ffffff\" font-weight=\"bold\">\(XMLText.escape(label))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// Writes DIR/<photo file name without extension>.svg (DIR created if missing; `-2`, `-3`...
    /// appended while the name is in `avoiding`, for two photos of one name) and returns its path.
    @discardableResult
    public static func write(_ reading: PageReading, photo: DecodedImage, to directory: String,
                             avoiding taken: Set<String> = []) throws -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw InputError("--annotate \(directory): cannot create the folder (\(error.localizedDescription))")
        }
        let stem = URL(fileURLWithPath: reading.image).deletingPathExtension().lastPathComponent
        var path = directory + "/" + fileSafe(stem) + ".svg", n = 1
        while taken.contains(path) { n += 1; path = directory + "/" + fileSafe(stem) + "-\(n).svg" }
        do {
            try svg(reading, photo: photo).write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw InputError("\(path): cannot be written (\(error.localizedDescription))")
        }
        return path
    }

    /// `image` box-averaged (ImageReduction, edge boxes clipped) by the smallest integer factor
    /// that brings its long side to <= `side`.
    static func shrink(_ image: GrayscaleImage, toLongSide side: Int) -> GrayscaleImage {
        ImageReduction.boxAverage(image, factor: max(1, (max(image.width, image.height) + side - 1) / side))
    }
}
