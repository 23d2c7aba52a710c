import CNIfTI
import Foundation

/// Decompresses a gzip file to count its bytes, to tell a damaged stream from a short one.
enum GzipProbe {
    /// The decompressed length, or nil when the stream is damaged or ends before its trailer.
    static func decompressedLength(_ path: String) -> Int64? {
        let length = cnifti_gzip_decompressed_length(path)
        return length < 0 ? nil : length
    }

    /// The length a single-member gzip file says it holds (ISIZE, the last four bytes: the
    /// decompressed length modulo 2^32), without decompressing it; nil when the file is not gzip
    /// or too short. A stream cut short (disk full) ends in compressed data, not in its trailer.
    static func trailerLength(_ path: String) -> UInt32? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        guard let magic = try? file.read(upToCount: 2), magic.elementsEqual([0x1f, 0x8b]),
              let end = try? file.seekToEnd(), end >= 18 else { return nil }
        guard (try? file.seek(toOffset: end - 4)) != nil, let bytes = try? file.read(upToCount: 4), bytes.count == 4 else { return nil }
        return bytes.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
