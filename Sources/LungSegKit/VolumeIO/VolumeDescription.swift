import AHNet
import Foundation

/// The human-readable summary `lungseg info` prints for a volume.
public struct VolumeDescription: Sendable {
    public var volume: Volume
    public var path: String
    /// What the file is, e.g. "NIfTI-1" or "DICOM series".
    public var format: String
    /// Where the HU come from, e.g. "scl_slope/scl_inter".
    public var scaling: String
    /// Lines printed after the format line (the DICOM series, its transfer syntaxes).
    public var sourceLines: [String]

    /// A NIfTI volume.
    public init(volume: Volume, path: String) {
        self.volume = volume
        self.path = path
        format = "NIfTI-\(volume.header.niftiVersion)"
        scaling = "scl_slope/scl_inter"
        sourceLines = []
    }

    /// A volume read from a DICOM folder.
    public init(dicom: DICOMSeries, path: String) {
        volume = dicom.volume
        self.path = path
        format = "DICOM series"
        scaling = "RescaleSlope/RescaleIntercept"
        sourceLines = [
            "series:      \(dicom.summary)",
            "encoding:    \(dicom.transferSyntaxes.joined(separator: "; "))",
            "in folder:   \(dicom.availableSeries.count) series" + (dicom.availableSeries.count > 1
                ? ": " + dicom.availableSeries.map(\.description).joined(separator: "; ") : ""),
        ]
    }

    /// One fact a line.
    public var text: String {
        let header = volume.header
        let range = volume.intensityRange
        let affineRows = volume.affine.rows.prefix(3).map { row in
            "  [" + row.map { String(format: "%10.4f", $0) }.joined(separator: " ") + " ]"
        }
        return ([
            "file:        \(path)",
            "format:      \(format)",
        ] + sourceLines + [
            "dims:        \(volume.dims.array.map(String.init).joined(separator: " x "))",
            "spacing:     \(volume.spacing.array.map { String(format: "%.4g", $0) }.joined(separator: " x ")) \(header.spatialUnitName)",
            "orientation: \(volume.orientationCode)",
            "datatype:    \(NIfTIDatatype.name(ofCode: header.datatypeCode))",
            "intensity:   \(formatted(range.lowerBound)) ... \(formatted(range.upperBound)) (HU, after \(scaling))",
            "qform_code:  \(header.qformCode)   sform_code: \(header.sformCode)",
            "affine (voxel to world, RAS+ mm, from the \(header.sformCode > 0 ? "sform" : header.qformCode > 0 ? "qform" : "pixdim")):",
        ] + affineRows).joined(separator: "\n")
    }

    private func formatted(_ value: Float) -> String { String(format: "%g", value) }
}
