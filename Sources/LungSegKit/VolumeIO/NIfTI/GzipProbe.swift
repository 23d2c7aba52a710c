import CNIfTI

/// Decompresses a gzip file to count its bytes, to tell a damaged stream from a short one.
enum GzipProbe {
    /// The decompressed length, or nil when the stream is damaged or ends before its trailer.
    static func decompressedLength(_ path: String) -> Int64? {
        let length = cnifti_gzip_decompressed_length(path)
        return length < 0 ? nil : length
    }
}
