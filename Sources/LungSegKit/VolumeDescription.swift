import Foundation

/// The human-readable summary `lungseg info` prints for a volume.
public struct VolumeDescription: Sendable {
    public var volume: Volume
    public var path: String

    public init(volume: Volume, path: String) {
        self.volume = volume
        self.path = path
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
            "format:      NIfTI-\(header.niftiVersion)",
            "dims:        \(volume.dims.map(String.init).joined(separator: " x "))",
            "spacing:     \(volume.spacing.map { String(format: "%.4g", $0) }.joined(separator: " x ")) \(header.spatialUnitName)",
            "orientation: \(volume.orientationCode)",
            "datatype:    \(NIfTIDatatype.name(ofCode: header.datatypeCode))",
            "intensity:   \(formatted(range.lowerBound)) ... \(formatted(range.upperBound)) (HU, after scl_slope/scl_inter)",
            "qform_code:  \(header.qformCode)   sform_code: \(header.sformCode)",
            "affine (voxel to world, RAS+ mm, from the \(header.sformCode > 0 ? "sform" : header.qformCode > 0 ? "qform" : "pixdim")):",
        ] + affineRows).joined(separator: "\n")
    }

    private func formatted(_ value: Float) -> String { String(format: "%g", value) }
}
