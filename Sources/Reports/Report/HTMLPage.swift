// report.html: one self-contained page, written as XHTML-compatible HTML5 so XML tools can read
// it too: inline CSS, every figure as inline SVG, no scripts and no external URL of any kind.

import Core
import Foundation

enum HTMLPage {
    static let style = """
        body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; margin: 24px auto; max-width: 1280px; padding: 0 16px; }
        h1 { font-size: 22px; margin-bottom: 4px; }
        h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        p.meta { color: #666; margin-top: 0; }
        nav a { margin-right: 14px; color: #1f5fa8; }
        table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
        th, td { border: 1px solid #ddd; padding: 4px 10px; }
        th { background: #f4f4f4; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.verdict.learned b { color: #2e7d32; }
        td.verdict.plateau b { color: #b26a00; }
        td.verdict.diverged b { color: #c62828; }
        span.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
        div.skipped { border-left: 3px solid #b26a00; background: #fff8e6; padding: 4px 12px; font-size: 13px; }
        .figures { display: flex; flex-wrap: wrap; gap: 18px; }
        figure { margin: 0; border: 1px solid #e4e4e4; border-radius: 4px; padding: 8px; background: #fff; }
        figure > svg { max-width: 100%; height: auto; display: block; }
        figcaption { font-size: 12px; color: #555; }
        figcaption ol { margin: 4px 0; }
        """

    /// The page; `skipped` lists what reading the folder left out (one line each), shown under
    /// the summary table.
    static func render(title: String, runs: [RunRecord], figures: [Figure], skipped: [String] = []) -> String {
        var sections: [String] = []
        for f in figures where !sections.contains(f.section) { sections.append(f.section) }
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        out += "<title>\(XMLText.escape(title))</title>\n<style>\n\(style)\n</style>\n</head>\n<body>\n"
        out += "<h1>\(XMLText.escape(title))</h1>\n"
        out += "<p class=\"meta\">\(runs.count) variant\(runs.count == 1 ? "" : "s"): "
            + runs.map { XMLText.escape($0.name) }.joined(separator: ", ") + ". Each figure is also a .svg file beside this page.</p>\n"
        out += "<nav>" + (["Summary"] + sections).map { "<a href=\"#\(anchor($0))\">\(XMLText.escape($0))</a>" }.joined() + "</nav>\n"
        out += "<h2 id=\"summary\">Summary</h2>\n"
        out += "<p class=\"meta\">Final epoch of each variant; train seconds is the sum of epoch times, images/s the mean over epochs. "
            + XMLText.escape(Verdict.legend) + "</p>\n"
        out += RunSummary.htmlTable(runs.map(RunSummary.init))
        if !skipped.isEmpty {
            out += "<div class=\"skipped\"><p>Left out while reading this folder:</p>\n<ul>\n"
                + skipped.map { "<li>\(XMLText.escape($0))</li>\n" }.joined() + "</ul>\n</div>\n"
        }
        for section in sections {
            out += "<h2 id=\"\(anchor(section))\">\(XMLText.escape(section))</h2>\n<div class=\"figures\">\n"
            for f in figures where f.section == section {
                out += "<figure>\n\(f.svg)<figcaption>\(XMLText.escape(f.file))\n\(f.notesHTML ?? "")</figcaption>\n</figure>\n"
            }
            out += "</div>\n"
        }
        return out + "</body>\n</html>\n"
    }

    static func anchor(_ section: String) -> String {
        String(section.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }
}
