import Foundation

/// File-name rules of NIfTI: which file holds the voxels, and whether it is gzip.
enum NIfTIFileName {
    /// The file that holds the voxel data: the `.img` beside a `.hdr`, else the file itself.
    static func dataFile(forHeader path: String) -> String {
        for (header, image) in [(".hdr", ".img"), (".hdr.gz", ".img.gz"), (".HDR", ".IMG")] where path.hasSuffix(header) {
            let base = String(path.dropLast(header.count))
            // A gzip header may sit beside a plain image and the other way round.
            for candidate in [base + image, base + ".img", base + ".img.gz"] where FileManager.default.fileExists(atPath: candidate) {
                return candidate
            }
            return base + image
        }
        return path
    }

    /// Whether the file starts with the gzip magic bytes.
    static func isGzip(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let magic = (try? handle.read(upToCount: 2)) ?? Data()
        return magic == Data([0x1f, 0x8b])
    }

    /// Size in bytes, nil when the file cannot be stat'ed.
    static func fileSize(_ path: String) -> Int64? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? NSNumber else { return nil }
        return size.int64Value
    }
}
