// The files of `dtrain inspect`, written into one folder (created if missing), each replaced
// atomically:
//   features.svg  the input and every chosen layer's feature maps, captioned (SVGImageGrid)
//   features.png  the same maps without text: one row group per record (input first, then layers)
//   filters.svg   the first convolution's filters, captioned         (only when the model has one)
//   filters.png   the same filters without text
// Every image is scaled to black = its minimum, white = its maximum.

import Core
import Foundation

public enum InspectionFigures {
    /// Writes the files above for `features` (one record per layer) and `filters` of a digit called
    /// `digit`; returns the paths written.
    public static func write(features: [ImageGridRecord], filters: ImageGridRecord?, digit: String, model: String,
                             to folder: String) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw InputError("\(folder): cannot create the output folder (\(error.localizedDescription))")
        }
        var written: [String] = []
        func save(_ bytes: [UInt8], _ name: String) throws {
            let path = folder + "/" + name
            try writeAtomically(bytes, to: path)
            written.append(path)
        }
        let scale = "each image scaled to black = its minimum, white = its maximum"
        let maps = features.flatMap(\.images)
        var grid = SVGImageGrid(title: "Feature maps of \(digit) (\(model))", images: maps.map(gray),
                                captions: maps.enumerated().map { $1.label ?? String($0) })
        grid.subtitle = scale
        try save(Array(grid.render().utf8), "features.svg")
        if let sheet = GraySheet.tile(features.map { $0.images.map(gray) }) { try save(sheet.png, "features.png") }
        if let filters {
            var strip = SVGImageGrid(title: "Filters: \(filters.layer) (\(model), input channel 0)", images: filters.grayImages,
                                     captions: filters.images.enumerated().map { $1.label ?? String($0) })
            strip.subtitle = scale
            try save(Array(strip.render().utf8), "filters.svg")
            if let sheet = GraySheet.tile([filters.grayImages]) { try save(sheet.png, "filters.png") }
        }
        return written
    }

    private static func gray(_ image: ImageGridRecord.Image) -> GrayImage {
        GrayImage.normalised(width: image.width, height: image.height, values: image.values)
    }
}
