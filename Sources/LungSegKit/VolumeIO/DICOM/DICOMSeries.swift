/// A CT volume read from a DICOM folder, with what was chosen and noticed on the way.
public struct DICOMSeries: Sendable {
    /// HU voxels on the series' grid, with a synthesized NIfTI header so that outputs are written on it.
    public var volume: Volume
    /// The series read.
    public var summary: DICOMSeriesSummary
    /// Readable names of the slices' transfer syntaxes, e.g. "JPEG Lossless SV1, 1.2.840.10008.1.2.4.70".
    public var transferSyntaxes: [String]
    /// Every series of the folder.
    public var availableSeries: [DICOMSeriesSummary]
    /// Things a user should know (another series was available, localizers left out, spacing
    /// varies slightly, gantry tilt, missing rescale); none of them stopped the read.
    public var warnings: [String]
    /// The file of each slice, in k order (slice k of `volume` came from `slicePaths[k]`); a
    /// DICOM Segmentation references them frame by frame.
    public var slicePaths: [String]

    public init(
        volume: Volume, summary: DICOMSeriesSummary, transferSyntaxes: [String], availableSeries: [DICOMSeriesSummary],
        warnings: [String], slicePaths: [String] = []
    ) {
        self.slicePaths = slicePaths
        self.volume = volume
        self.summary = summary
        self.transferSyntaxes = transferSyntaxes
        self.availableSeries = availableSeries
        self.warnings = warnings
    }
}
