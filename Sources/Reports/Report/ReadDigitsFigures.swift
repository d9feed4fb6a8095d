// The "Read digits" section of a report: every annotated photo that
// `dtrain read-digits --annotate FOLDER/read-digits` left in the report's folder, inlined as it
// is (the files are not rewritten). The photo's reading is the SVG's <title>, shown as caption.

import Core
import Foundation

enum ReadDigitsFigures {
    static let subfolder = "read-digits"

    static func all(folder: String) throws -> [Figure] {
        let dir = folder + "/" + subfolder
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return try names.filter { $0.hasSuffix(".svg") }.sorted().map { name in
            let path = dir + "/" + name
            guard let svg = try? String(contentsOfFile: path, encoding: .utf8), svg.hasPrefix("<svg") else {
                throw InputError("\(path): not an SVG written by dtrain read-digits --annotate")
            }
            var caption: String?
            if let a = svg.range(of: "<title>"), let b = svg.range(of: "</title>", range: a.upperBound ..< svg.endIndex) {
                caption = "<p>" + String(svg[a.upperBound ..< b.lowerBound]) + "</p>"   // already escaped
            }
            return Figure(file: subfolder + "/" + name, section: "Read digits", svg: svg, notesHTML: caption, isOnDisk: true)
        }
    }
}
