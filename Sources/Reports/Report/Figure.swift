// One picture of the report: the .svg file it is written to, the section of report.html it
// belongs in, and optional HTML shown under it (the most-confused list under a heatmap).

import Core
import Foundation

struct Figure {
    var file: String                  // file name inside the report folder, e.g. "loss.svg"
    var section: String
    var svg: String
    var notesHTML: String?
    /// The .svg already lies in the folder (an annotated photo): inlined, not written again.
    var isOnDisk = false

    init(file: String, section: String, svg: String, notesHTML: String? = nil, isOnDisk: Bool = false) {
        self.file = file
        self.section = section
        self.svg = svg
        self.notesHTML = notesHTML
        self.isOnDisk = isOnDisk
    }
}

/// `name` usable in a file name: anything but letters, digits, '.', '-' and '_' becomes '_'.
func fileSafe(_ name: String) -> String {
    let s = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
    return s.isEmpty || s.hasPrefix(".") ? "_" + s : s
}
