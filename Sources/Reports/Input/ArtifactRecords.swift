// What the report adds to the artefact records (Core/Records/ArtifactRecords.swift, shared with
// the writer in Training): an image grid's images as grey pictures it can draw.

import Core

extension ImageGridRecord {
    /// The images normalised each to 0...255.
    public var grayImages: [GrayImage] { images.map { GrayImage.normalised(width: $0.width, height: $0.height, values: $0.values) } }
}
