import AHNet
import CNIfTI
import Foundation

/// Writes volumes on the grid of a source image, header copied, atomically: the data go to a
/// temporary file in the target folder, are checked, then renamed over the target. On any
/// failure the temporary file is removed and an existing target is left untouched.
public enum NIfTIWriter {
    /// Writes a label mask (uint8); with a transaction, staged until it commits.
    public static func writeMask(_ labels: [UInt8], like header: NIfTIHeader, to path: String, in transaction: OutputTransaction? = nil) throws(NIfTIError) {
        try labels.withUnsafeBytes { bytes in
            Result { () throws(NIfTIError) in
                try write(bytes, datatype: .uint8, count: labels.count, like: header, to: path, in: transaction)
            }
        }.get()
    }

    /// Writes a float32 map (probabilities, intensities); with a transaction, staged until it commits.
    public static func writeMap(_ values: [Float], like header: NIfTIHeader, to path: String, in transaction: OutputTransaction? = nil) throws(NIfTIError) {
        try values.withUnsafeBytes { bytes in
            Result { () throws(NIfTIError) in
                try write(bytes, datatype: .float32, count: values.count, like: header, to: path, in: transaction)
            }
        }.get()
    }

    private static func write(
        _ bytes: UnsafeRawBufferPointer, datatype: NIfTIDatatype, count: Int, like header: NIfTIHeader,
        to path: String, in transaction: OutputTransaction?
    ) throws(NIfTIError) {
        guard let suffix = [".nii.gz", ".nii"].first(where: { path.hasSuffix($0) }) else {
            throw .unsupportedOutputName(path: path)
        }
        let expected = header.dims.product
        guard count == expected else { throw .gridMismatch(expected: expected, actual: count) }

        let target = URL(fileURLWithPath: path)
        let folder = target.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .writeFailed(path: path, reason: "folder \(folder.path) does not exist")
        }
        let output = transaction?.stage(path, keepingSuffix: suffix) ?? AtomicOutput(path, keepingSuffix: suffix)
        do throws(NIfTIError) {
            try writeFile(bytes, datatype: datatype, like: header, to: output.temporary, reportedAs: path)
            try verifyLength(of: output.temporary, dataBytes: Int64(bytes.count), reportedAs: path)
        } catch {
            output.discard()
            throw error
        }
        if transaction == nil, let reason = output.commit() { throw .writeFailed(path: path, reason: reason) }
    }

    private static func writeFile(
        _ bytes: UnsafeRawBufferPointer, datatype: NIfTIDatatype, like header: NIfTIHeader, to file: String,
        reportedAs path: String
    ) throws(NIfTIError) {
        cnifti_silence()
        guard header.dims.allSatisfy({ $0 <= Int(Int16.max) }) else {
            throw .writeFailed(path: path, reason: "NIfTI-1 outputs hold at most 32767 voxels along an axis")
        }
        var dims: [Int64] = [3] + header.dims.array.map(Int64.init) + [1, 1, 1, 1]
        guard let image = nifti_make_new_nim(&dims, datatype.rawValue, 0) else {
            throw .writeFailed(path: path, reason: "libnifti could not create the image")
        }
        defer { nifti_image_free(image) }
        guard let data = malloc(max(bytes.count, 1)) else { throw .writeFailed(path: path, reason: "out of memory") }
        if let base = bytes.baseAddress { memcpy(data, base, bytes.count) }
        image.pointee.data = data  // freed by nifti_image_free
        header.apply(to: &image.pointee)
        guard nifti_set_filenames(image, file, 0, 1) == 0 else {
            throw .writeFailed(path: path, reason: "libnifti refused the file name")
        }
        // Always NIfTI-1: libnifti 2.1.0 writes single-file NIfTI-2 with a data offset of 0, so
        // the voxels overwrite the header. NIfTI-1 holds every CT grid (axes up to 32767).
        image.pointee.nifti_type = NIFTI_FTYPE_NIFTI1_1
        // What `nifti_image_write` does, at gzip level 1 instead of zlib's default 6 (as nibabel
        // writes): a 512x512x300 mask compresses in 0.17 s instead of 0.46 s, to a file of a few
        // hundred kB either way.
        var handle: znzFile? = nifti_image_write_hdr_img(image, 1, "wb1")
        if handle != nil { Xznzclose(&handle) }
    }

    /// libnifti's writer returns nothing: check that the file holds the whole image. A NIfTI-1
    /// file is its 348-byte header, 4 extension bytes and the voxels; a gzip file's trailer says
    /// how much it holds (checked instead of decompressing the whole file again).
    private static func verifyLength(of file: String, dataBytes: Int64, reportedAs path: String) throws(NIfTIError) {
        let expected = dataBytes + 352
        let complete: Bool
        if file.hasSuffix(".gz") {
            complete = GzipProbe.trailerLength(file) == UInt32(truncatingIfNeeded: expected)
        } else {
            complete = (NIfTIFileName.fileSize(file) ?? 0) >= expected
        }
        guard complete else {
            throw .writeFailed(path: path, reason: "the written file is incomplete (disk full or not writable?)")
        }
    }
}
