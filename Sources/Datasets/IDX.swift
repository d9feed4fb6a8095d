// IDX files (LeCun's MNIST format): big-endian u32 magic 00 00 TT NN (TT = 0x08: unsigned bytes,
// the only type accepted; NN = number of dimensions), NN big-endian u32 sizes, then the payload.
// The payload must hold exactly product(sizes) bytes; anything else is an InputError.

import Core
import NN

/// A parsed IDX array of unsigned bytes: `bytes.count == dims.reduce(1, *)`, row-major.
public struct IDXArray {
    public let dims: [Int]
    public let bytes: [UInt8]   // payload only, header stripped
    public init(dims: [Int], bytes: [UInt8]) {
        self.dims = dims
        self.bytes = bytes
    }
}

/// Parses an IDX file of unsigned bytes with `expectDims` dimensions (3 images, 1 labels).
/// `file` names the source in error messages.
public func parseIDX(_ bytes: [UInt8], file: String, expectDims: Int) throws -> IDXArray {
    let header = try checkIDXHeader(Array(bytes.prefix(4 + 4 * expectDims)), totalBytes: bytes.count,
                                    file: file, expectDims: expectDims)
    return IDXArray(dims: header.dims, bytes: Array(bytes[header.size...]))
}

/// The checks of `parseIDX` from the file's first 4 + 4 x expectDims bytes (`prefix`, fewer when
/// the file is that short) and its total length: magic, dimensions, and a payload of exactly
/// product(dims) bytes. Returns the dimensions and the header length.
public func checkIDXHeader(_ prefix: [UInt8], totalBytes: Int, file: String,
                           expectDims: Int) throws -> (dims: [Int], size: Int) {
    precondition((1...255).contains(expectDims), "expectDims must be 1...255")
    let bytes = prefix
    let magic = "0x\(hex2(0))\(hex2(0))\(hex2(0x08))\(hex2(expectDims))"
    guard totalBytes >= 4, bytes.count >= 4 else {
        throw InputError("\(file): truncated: expected an IDX header (magic \(magic)), found \(totalBytes) bytes")
    }
    let found = bytes[0 ..< 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    guard bytes[0] == 0, bytes[1] == 0, bytes[2] == 0x08, Int(bytes[3]) == expectDims else {
        let hex = String(found, radix: 16)
        throw InputError("\(file): bad IDX magic: expected \(magic) (u8, \(expectDims)-D), found 0x\(String(repeating: "0", count: 8 - hex.count))\(hex)")
    }
    let header = 4 + 4 * expectDims
    guard totalBytes >= header, bytes.count >= header else {
        throw InputError("\(file): truncated: expected an IDX header of \(header) bytes, found \(totalBytes)")
    }
    var dims: [Int] = []
    var total = 1
    for d in 0 ..< expectDims {
        let size = Int(bytes[4 + 4 * d ..< 8 + 4 * d].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        guard size > 0 else { throw InputError("\(file): expected IDX dimension \(d) to be > 0, found 0") }
        let (product, overflow) = total.multipliedReportingOverflow(by: size)
        guard !overflow, product <= Int.max - header else {
            throw InputError("\(file): IDX dimensions \(dims + [size]) are too large")
        }
        total = product
        dims.append(size)
    }
    let payload = totalBytes - header
    guard payload == total else {
        let shape = dims.map(String.init).joined(separator: "x")
        let kind = payload < total ? "truncated" : "trailing data"
        throw InputError("\(file): \(kind): expected \(total) bytes of data for \(shape), found \(payload)")
    }
    return (dims, header)
}

private func hex2(_ v: Int) -> String { v < 16 ? "0" + String(v, radix: 16) : String(v, radix: 16) }
