// A grid of grey-scale images (first-layer filters, feature maps), each in a square cell with an
// optional caption below it (placed by ImageGridLayout.swift so that captions never overlap). Images are embedded as PNG data: URIs (upscaled so they stay crisp) or, in
// `.rects` mode, drawn as one <rect> per pixel for viewers that refuse data URIs.

import Core
import Foundation

public struct SVGImageGrid {
    public enum Mode { case png, rects }

    public var title: String
    public var subtitle: String?
    public var images: [GrayImage]
    public var captions: [String]
    public var columns: Int
    public var cell: Double                  // the longer side of each drawn image, in px
    public var mode: Mode

    public init(title: String, images: [GrayImage], captions: [String] = [], columns: Int? = nil,
                cell: Double? = nil, mode: Mode = .png) {
        self.title = title
        self.images = images
        self.captions = captions
        self.columns = max(1, columns ?? min(max(images.count, 1), 8))
        // Default: 56 px, larger for bigger images (3 px per pixel, up to 112 px).
        self.cell = cell ?? min(112, max(56, 3 * Double(images.map { max($0.width, $0.height) }.max() ?? 0)))
        self.mode = mode
    }

    /// Where each image and caption goes (ImageGridLayout.swift): captions never overlap.
    public func layout(top: Double = 36) -> ImageGridLayout {
        ImageGridLayout(sizes: images.map { ($0.width, $0.height) }, captions: captions, columns: columns, cell: cell,
                        left: 10, top: top)
    }

    public func render() -> String {
        let top = subtitle == nil ? 36.0 : 50.0
        let grid = layout(top: top)
        let width = 10 + Double(columns) * grid.columnPitch
        var svg = SVGWriter(width: width, height: (images.isEmpty ? top + cell : grid.bottom) + 6, title: title, subtitle: subtitle)
        if images.isEmpty { svg.text("no images", x: 10, y: top + 20, size: 12, fill: "#999999") }
        for (k, image) in images.enumerated() {
            let box = grid.imageBoxes[k]
            let (x, y, w, h) = (box.x, box.y, box.width, box.height)
            let sx = w / Double(image.width), sy = h / Double(image.height)
            switch mode {
            case .png:
                let factor = max(1, Int((cell / Double(max(image.width, image.height))).rounded(.up)))
                let uri = PNG.dataURI(image.upscaled(by: factor).png)
                svg.raw("<image x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" width=\"\(svgNumber(w))\" height=\"\(svgNumber(h))\" preserveAspectRatio=\"none\" image-rendering=\"pixelated\" href=\"\(uri)\"/>")
            case .rects:
                for py in 0..<image.height {
                    for px in 0..<image.width {
                        let g = image.pixels[py * image.width + px]
                        svg.rect(x: x + Double(px) * sx, y: y + Double(py) * sy, width: sx + 0.05, height: sy + 0.05,
                                 fill: String(format: "#%02x%02x%02x", g, g, g))
                    }
                }
            }
            svg.rect(x: x, y: y, width: w, height: h, fill: "none", stroke: "#bbbbbb")
            if let caption = grid.captionBoxes[k] {
                for (i, line) in grid.captionLines[k].enumerated() {
                    // baseline near the bottom of the line's box: glyphs stay inside it
                    svg.text(line, x: caption.x + caption.width / 2, y: caption.y + Double(i + 1) * ImageGridLayout.lineHeight - 2.5,
                             size: ImageGridLayout.captionSize, anchor: .middle, fill: "#555555")
                }
            }
        }
        return svg.render()
    }
}
