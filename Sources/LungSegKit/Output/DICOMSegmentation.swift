import CDCMTK
import Foundation

/// The segmentation as a DICOM Segmentation object (BINARY) on the frames of its source series,
/// for a PACS, OHIF or 3D Slicer to show beside the study. Written through DCMTK's dcmseg.
///
/// Segments, coded with SNOMED CT structure codes as DICOM's CID 7151 lists them (the choice of
/// highdicom's and TotalSegmentator's lung examples that name the side in the structure rather
/// than through a laterality modifier): "Right lung" 3341006 and "Left lung" 44029006 with
/// `--split-lungs`, else "Lung" 39607008; "Trachea" 44567001 for the trachea and main bronchi when
/// the post-processing found them. Segment numbers are consecutive: 1 lung, or 1 right and 2 left,
/// then the airways. Category "Anatomical Structure" (SCT 123037004). Algorithm
/// type AUTOMATIC, family "Artificial Intelligence" (DCM 123110), name lungseg and its version.
public enum DICOMSegmentation {
    /// A segment: the label value it is made of, and how it is named and coded.
    struct Segment {
        let value: UInt8
        let label: String
        let code: String
        let meaning: String
    }

    /// Writes `result`'s labels (on `series`' grid) to `path`, atomically (with `transaction`,
    /// when it commits); `modelDescription` (the model's provenance) becomes the segments'
    /// Algorithm Parameters. `seriesInstanceUID` is new for each run; `sopInstanceUID` is derived
    /// from the source series and the case (`instanceUID(for:)`), so a rerun writes the same one.
    public static func write(
        _ result: SegmentationResult, series: DICOMSeries, to path: String, seriesInstanceUID: String, sopInstanceUID: String,
        softwareVersion: String, modelDescription: String = "", in transaction: OutputTransaction? = nil
    ) throws(DICOMSegmentationError) {
        let dims = series.volume.dims
        guard series.slicePaths.count == dims.k, dims.i <= Int(UInt16.max), dims.j <= Int(UInt16.max) else {
            throw .notASliceSeries
        }
        var labels = result.labels
        var segments = result.splitLungs
            ? [Segment(value: 1, label: "Right lung", code: "3341006", meaning: "Right lung"),
               Segment(value: 2, label: "Left lung", code: "44029006", meaning: "Left lung")]
            : [Segment(value: 1, label: "Lung", code: "39607008", meaning: "Lung")]
        if !result.splitLungs { for index in labels.indices where labels[index] != 0 { labels[index] = 1 } }
        if !result.airwayVoxels.isEmpty {
            for index in result.airwayVoxels where labels[index] == 0 { labels[index] = 3 }
            segments.append(Segment(value: 3, label: "Trachea and main bronchi", code: "44567001", meaning: "Trachea"))
        }
        guard labels.contains(where: { $0 != 0 }) else { throw .emptyMask }
        let staged = transaction.map { $0.stage(path) }
        let target = staged?.temporary ?? path
        var message = [CChar](repeating: 0, count: 512)
        let status = withCStrings(series.slicePaths) { sources in
            // Seven strings a segment, in cdcmtk_segment's order after its value.
            let fields = segments.flatMap { [$0.label, "123037004", "SCT", "Anatomical Structure", $0.code, "SCT", $0.meaning] }
            return withCStrings(fields) { strings in
                let count = segments.count
                var specs = (0..<count).map { s in
                    let field = { (index: Int) in strings[7 * s + index] }
                    return cdcmtk_segment(
                        value: segments[s].value, label: field(0), category_code: field(1), category_scheme: field(2),
                        category_meaning: field(3), type_code: field(4), type_scheme: field(5), type_meaning: field(6))
                }
                return labels.withUnsafeBufferPointer { labels in
                    cdcmtk_write_segmentation(
                        target, sources, series.slicePaths.count, labels.baseAddress, &specs, count, seriesInstanceUID, sopInstanceUID,
                        softwareVersion, modelDescription, &message, message.count)
                }
            }
        }
        guard status == CDCMTK_OK else {
            staged?.discard()
            throw .writeFailed(path: path, reason: DICOMFile.text(message))
        }
    }

    /// Algorithm Parameters as readers parse them: `key=value` pairs joined by commas (highdicom
    /// refuses anything else), sorted by key; a comma or `=` inside a value becomes `;` or `:`.
    public static func algorithmParameters(_ values: [String: String]) -> String {
        values.sorted { $0.key < $1.key }.map { key, value in
            let clean = { (text: String) in text.replacingOccurrences(of: ",", with: ";").replacingOccurrences(of: "=", with: ":") }
            return "\(clean(key))=\(clean(value))"
        }.joined(separator: ",")
    }

    /// A Segmentation read back onto the grid of `series` (its source): each voxel holds the
    /// number of the segment whose frame sets it (0 elsewhere), with the counts of segments and frames.
    public static func read(_ path: String, series: DICOMSeries) throws(DICOMSegmentationError)
        -> (labels: [UInt8], segments: Int, frames: Int) {
        let dims = series.volume.dims
        var labels = [UInt8](repeating: 0, count: dims.product)
        var (segments, frames) = (0, 0)
        var message = [CChar](repeating: 0, count: 512)
        let status = withCStrings(series.slicePaths) { sources in
            labels.withUnsafeMutableBufferPointer { labels in
                cdcmtk_read_segmentation(
                    path, sources, series.slicePaths.count, UInt16(dims.j), UInt16(dims.i), labels.baseAddress, &segments, &frames,
                    &message, message.count)
            }
        }
        guard status == CDCMTK_OK else { throw .readFailed(path: path, reason: DICOMFile.text(message)) }
        return (labels, segments, frames)
    }

    /// A UID under the 2.25 root (ISO/IEC 9834-8: a 128-bit number written in decimal), from
    /// `text` (the first 16 bytes of its SHA-256) or, without it, from a random UUID.
    public static func uid(from text: String? = nil) -> String {
        var value: [UInt8]
        if let text, let digest = FileChecksum.sha256Digest(of: Data(text.utf8)) {
            value = Array(digest.prefix(16))
        } else {
            value = withUnsafeBytes(of: UUID().uuid) { Array($0) }
        }
        // Repeated division by 10 of the 128-bit big-endian number.
        var digits: [Character] = []
        while value.contains(where: { $0 != 0 }) {
            var remainder = 0
            for index in value.indices {
                let current = remainder * 256 + Int(value[index])
                value[index] = UInt8(current / 10)
                remainder = current % 10
            }
            digits.append(Character(String(remainder)))
        }
        return "2.25." + (digits.isEmpty ? "0" : String(digits.reversed()))
    }

    /// The SOP Instance UID of a case's segmentation: the same for the same source series and case.
    public static func instanceUID(series: DICOMSeries, caseName: String) -> String {
        uid(from: "lungseg DICOM SEG\u{0}\(series.summary.uid)\u{0}\(caseName)")
    }
}

/// Why a DICOM Segmentation was not written.
public enum DICOMSegmentationError: Error, Equatable, CustomStringConvertible {
    /// The source is not a stack of single-frame slices on one grid.
    case notASliceSeries
    /// Nothing was segmented: a Segmentation needs at least one frame.
    case emptyMask
    case writeFailed(path: String, reason: String)
    case readFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .notASliceSeries: "the DICOM series is not a stack of single-frame slices; no DICOM Segmentation written"
        case .emptyMask: "the mask is empty; a DICOM Segmentation needs at least one segmented frame"
        case .writeFailed(let path, let reason): "cannot write the DICOM Segmentation \(path): \(reason)"
        case .readFailed(let path, let reason): "cannot read the DICOM Segmentation \(path): \(reason)"
        }
    }
}

/// Calls `body` with C strings for `strings`, valid during the call.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) })
}
