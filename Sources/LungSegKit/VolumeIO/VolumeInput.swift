import Foundation

/// The one way the command-line tool (and batch runs) read a CT: a NIfTI file or a DICOM folder.
public enum VolumeInput {
    /// Reads a NIfTI volume (`.nii`, `.nii.gz`, `.hdr`/`.img`) or, when `path` is a folder, its
    /// DICOM CT series.
    ///
    /// - Parameters:
    ///   - path: a NIfTI file or a folder of DICOM files.
    ///   - series: a SeriesInstanceUID to read from a DICOM folder; nil chooses one (see
    ///     ``DICOMSeriesReader/read(folder:series:limits:)``). A NIfTI file holds one volume: there
    ///     it is ignored, with a warning.
    /// - Returns: the volume (HU, with a NIfTI header to write outputs on its grid) and warnings
    ///   a user should see.
    /// - Throws: ``NIfTIError`` for NIfTI files, ``DICOMError`` for DICOM folders.
    public static func read(_ path: String, series: String? = nil) throws -> (volume: Volume, warnings: [String]) {
        let source = try readSource(path, series: series)
        return (source.volume, source.warnings)
    }

    /// `read`, and for a DICOM folder also the series itself (its files: a DICOM Segmentation
    /// references them); nil for a NIfTI file.
    public static func readSource(_ path: String, series: String? = nil) throws
        -> (volume: Volume, warnings: [String], dicom: DICOMSeries?) {
        if isFolder(path) {
            let dicom = try DICOMSeriesReader.read(folder: path, series: series)
            return (dicom.volume, dicom.warnings, dicom)
        }
        let warnings = series == nil ? [] : ["--series \(series ?? "") ignored: \(path) is a NIfTI file, not a DICOM folder"]
        return (try NIfTIReader.read(path), warnings, nil)
    }

    /// Whether `path` is a folder (a DICOM series) rather than a file.
    public static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
