// FNV-1a, 64-bit: the one fingerprint of bytes in dtrain (data file checksums, the replica
// checksum, config fingerprints). Fast and non-cryptographic: it detects accidents, not attacks.

/// FNV-1a, 64-bit: a fast non-cryptographic fingerprint of bytes. `continuing` chains chunks:
/// hashing a+b equals hashing b continuing from the hash of a.
public func fnv1a64(_ bytes: UnsafeRawBufferPointer, continuing h0: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
    var h = h0
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return h
}

public func fnv1a64(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { fnv1a64($0) } }

/// FNV-1a 64 of the file as stored on disk, read in chunks.
public func fnv1a64(path: String) throws -> UInt64 {
    let file = try PosixFile.openRegular(path, what: "data file")
    let chunk = 256 << 10
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
    defer { buffer.deallocate() }
    var h = fnv1a64(UnsafeRawBufferPointer(start: nil, count: 0))
    while true {
        let n = try file.fill(buffer, count: chunk)
        if n == 0 { return h }
        h = fnv1a64(UnsafeRawBufferPointer(start: buffer, count: n), continuing: h)
    }
}

