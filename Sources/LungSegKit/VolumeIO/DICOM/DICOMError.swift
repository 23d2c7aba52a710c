import Foundation

/// Why a DICOM folder could not be read as a CT volume. Every case names the folder, series or
/// file and the problem, so that the message alone tells a person what to fix.
public enum DICOMError: Error, Equatable, Sendable {
    /// No folder at the path.
    case folderNotFound(path: String)
    /// The folder exists but cannot be listed.
    case unreadableFolder(path: String, reason: String)
    /// DCMTK's data dictionary is missing (it is needed to read implicit-VR files).
    case dictionaryMissing(reason: String)
    /// The folder holds no DICOM image (other files are skipped).
    case noDICOMFiles(folder: String)
    /// DICOM images, but no CT series to read.
    case noCTSeries(folder: String, available: [DICOMSeriesSummary])
    /// `--series UID` names no series of the folder.
    case seriesNotFound(uid: String, folder: String, available: [DICOMSeriesSummary])
    /// The chosen series is not CT (its intensities would not be HU).
    case notCT(uid: String, modality: String)
    /// Fewer than two slices: no volume.
    case tooFewSlices(uid: String, count: Int)
    /// A multi-frame (enhanced) image: lungseg reads one slice per file.
    case unsupportedMultiFrame(path: String, frames: Int)
    /// ImagePositionPatient, ImageOrientationPatient or PixelSpacing is missing or unusable.
    case missingGeometry(path: String, attribute: String)
    /// A slice whose Rows, Columns or PixelSpacing differ from the rest of the series.
    case inconsistentGrid(path: String, expected: String, found: String)
    /// A slice tilted against the rest of the series (not a localizer: the planes nearly agree,
    /// or no orientation holds most of the slices).
    case inconsistentOrientation(path: String, expected: [Double], found: [Double])
    /// Two slices at the same position along the slice normal.
    case duplicatePosition(path: String, otherPath: String, position: [Double])
    /// A gap of about two slice steps or more between neighbouring slices: a slice is missing.
    case missingSlice(uid: String, afterPath: String, beforePath: String, gap: Double, spacing: Double)
    /// PhotometricInterpretation other than MONOCHROME1/MONOCHROME2, or several samples per pixel.
    case unsupportedPhotometric(path: String, value: String)
    /// Bits allocated/stored that lungseg does not decode (8 or 16 allocated, the low bits stored).
    case unsupportedBitDepth(path: String, bitsAllocated: Int, bitsStored: Int, highBit: Int)
    /// RescaleSlope/RescaleIntercept that cannot turn stored values into HU (zero or not finite).
    case invalidRescale(path: String, slope: Double, intercept: Double)
    /// DCMTK could not decode the pixels of a file.
    case decodeFailed(path: String, transferSyntax: String, reason: String)
    /// The volume holds more voxels than lungseg will allocate.
    case tooLarge(voxels: Int64, limit: Int64)
}

extension DICOMError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .folderNotFound(let path):
            return "\(path): no such folder"
        case .unreadableFolder(let path, let reason):
            return "\(path): the folder cannot be listed (\(reason))"
        case .dictionaryMissing(let reason):
            return "cannot read DICOM: \(reason)"
        case .noDICOMFiles(let folder):
            return "\(folder): no DICOM image in this folder"
        case .noCTSeries(let folder, let available):
            return "\(folder): no CT series; the folder holds \(Self.list(available))"
        case .seriesNotFound(let uid, let folder, let available):
            return "\(folder): no series \(uid); the folder holds \(Self.list(available))"
        case .notCT(let uid, let modality):
            return "series \(uid) is \(modality.isEmpty ? "of no modality" : modality), not CT"
        case .tooFewSlices(let uid, let count):
            return "series \(uid) has \(count) slice\(count == 1 ? "" : "s"); a CT volume needs at least 2"
        case .unsupportedMultiFrame(let path, let frames):
            return "\(path): a multi-frame image (\(frames) frames); lungseg reads series of single-slice files"
        case .missingGeometry(let path, let attribute):
            return "\(path): \(attribute) is missing or invalid; the slice cannot be placed in space"
        case .inconsistentGrid(let path, let expected, let found):
            return "\(path): \(found) where the rest of the series has \(expected)"
        case .inconsistentOrientation(let path, let expected, let found):
            return "\(path): ImageOrientationPatient \(Self.numbers(found)) differs from the series' \(Self.numbers(expected))"
        case .duplicatePosition(let path, let otherPath, let position):
            return "\(path) and \(otherPath) lie at the same position \(Self.numbers(position)) (duplicate slices?)"
        case .missingSlice(let uid, let afterPath, let beforePath, let gap, let spacing):
            return "series \(uid): a gap of \(Self.millimetres(gap)) between \(afterPath) and \(beforePath) where slices are "
                + "\(Self.millimetres(spacing)) apart: a slice is missing"
        case .unsupportedPhotometric(let path, let value):
            return "\(path): PhotometricInterpretation \(value.isEmpty ? "(none)" : value); lungseg reads MONOCHROME1/MONOCHROME2 CT"
        case .unsupportedBitDepth(let path, let allocated, let stored, let highBit):
            return "\(path): BitsAllocated \(allocated), BitsStored \(stored), HighBit \(highBit); lungseg reads 8 or 16 bits allocated with the low bits stored"
        case .invalidRescale(let path, let slope, let intercept):
            return "\(path): unusable RescaleSlope \(slope) / RescaleIntercept \(intercept)"
        case .decodeFailed(let path, let transferSyntax, let reason):
            return "\(path): the pixels could not be decoded (\(transferSyntax)): \(reason)"
        case .tooLarge(let voxels, let limit):
            return "the series holds \(voxels) voxels, more than the limit of \(limit); refusing to allocate"
        }
    }

    private static func list(_ series: [DICOMSeriesSummary]) -> String {
        series.isEmpty ? "no series" : series.map(\.description).joined(separator: "; ")
    }

    private static func numbers(_ values: [Double]) -> String {
        "[" + values.map { String(format: "%.6g", $0) }.joined(separator: ", ") + "]"
    }

    private static func millimetres(_ value: Double) -> String { String(format: "%.4g mm", value) }
}
