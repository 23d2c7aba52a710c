/// Why a NIfTI file could not be read or written. Every case names the file and the problem, so
/// that the message alone tells a person what to fix.
public enum NIfTIError: Error, Equatable, Sendable {
    /// No file at the path (for a `.hdr`, no matching `.img` counts too).
    case fileNotFound(path: String)
    /// The file is not NIfTI-1, NIfTI-2 or ANALYZE 7.5 (bad magic or header size).
    case notNIfTI(path: String)
    /// The gzip stream is damaged or cut short.
    case corruptCompressedData(path: String)
    /// The header promises more voxel bytes than the file holds.
    case truncatedData(path: String, expectedBytes: Int64, availableBytes: Int64?)
    /// vox_offset is negative, not finite, or absurdly large.
    case invalidDataOffset(path: String, offset: Double)
    /// A dimension is zero, negative, or the dims field is inconsistent.
    case invalidDimensions(path: String, dims: [Int64])
    /// The volume holds more voxels than lungseg will allocate.
    case tooLarge(path: String, voxels: Int64, limit: Int64)
    /// A voxel spacing (pixdim 1..3) is zero, negative, NaN or infinite.
    case invalidSpacing(path: String, spacing: [Double])
    /// The voxel-to-world matrix cannot be inverted (or holds NaN/Inf).
    case singularAffine(path: String)
    /// The datatype cannot be a CT intensity (complex, RGB, float128, unknown codes).
    case unsupportedDatatype(path: String, code: Int32, name: String)
    /// A 2D image (one slice, or fewer than three dimensions): no CT volume.
    case notAVolume(path: String, dims: [Int64])
    /// A 4D (or higher) image with more than one 3D volume.
    case multipleVolumes(path: String, count: Int64)
    /// Voxels that are NaN or infinite after scaling.
    case nonFiniteVoxels(path: String, count: Int)
    /// scl_slope / scl_inter that cannot be applied (infinite slope or NaN intercept).
    case invalidScaling(path: String, slope: Double, intercept: Double)
    /// An output name lungseg does not write (only `.nii` and `.nii.gz`).
    case unsupportedOutputName(path: String)
    /// Writing failed; nothing was left at the destination.
    case writeFailed(path: String, reason: String)
    /// The voxel array does not match the grid it is to be written on.
    case gridMismatch(expected: Int, actual: Int)
}

extension NIfTIError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file"
        case .notNIfTI(let path):
            return "\(path): not a NIfTI-1/NIfTI-2 file (unreadable header or wrong magic)"
        case .corruptCompressedData(let path):
            return "\(path): the gzip data is damaged or cut short"
        case .truncatedData(let path, let expected, let available):
            let have = available.map { "the file holds \($0)" } ?? "the file ends early"
            return "\(path): the header promises \(expected) bytes of voxel data but \(have)"
        case .invalidDataOffset(let path, let offset):
            return "\(path): invalid voxel data offset (vox_offset \(offset))"
        case .invalidDimensions(let path, let dims):
            return "\(path): invalid dimensions \(dims) (every size must be at least 1)"
        case .tooLarge(let path, let voxels, let limit):
            return "\(path): \(voxels) voxels is more than the limit of \(limit); refusing to allocate"
        case .invalidSpacing(let path, let spacing):
            return "\(path): invalid voxel spacing \(spacing) (each must be finite and > 0)"
        case .singularAffine(let path):
            return "\(path): the voxel-to-world matrix (sform/qform) is singular or not finite"
        case .unsupportedDatatype(let path, let code, let name):
            return "\(path): datatype \(name) (code \(code)) cannot hold CT intensities"
        case .notAVolume(let path, let dims):
            return "\(path): a 2D image (dims \(dims)); a CT volume needs at least 2 voxels along each of 3 axes"
        case .multipleVolumes(let path, let count):
            return "\(path): \(count) volumes in one file; lungseg takes one 3D volume (split the series first)"
        case .nonFiniteVoxels(let path, let count):
            return "\(path): \(count) voxels are NaN or infinite"
        case .invalidScaling(let path, let slope, let intercept):
            return "\(path): unusable intensity scaling scl_slope=\(slope) scl_inter=\(intercept)"
        case .unsupportedOutputName(let path):
            return "\(path): outputs must end in .nii or .nii.gz"
        case .writeFailed(let path, let reason):
            return "\(path): could not be written (\(reason)); nothing was left there"
        case .gridMismatch(let expected, let actual):
            return "voxel count \(actual) does not match the grid's \(expected)"
        }
    }
}
