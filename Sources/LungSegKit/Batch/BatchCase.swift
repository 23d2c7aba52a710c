import Foundation

/// One input of a batch and the name its outputs take.
public struct BatchCase: Sendable, Equatable, Codable {
    /// The CT: a NIfTI file or a DICOM series folder.
    public var input: String
    /// Output stem: `<name>_lungs.nii.gz`, `<name>_report.json`, `<name>_qc.png`; also the key
    /// that identifies the case in status files.
    public var name: String
    /// The DICOM series to read from a folder that holds several (its SeriesInstanceUID, as
    /// `segment --series` takes it); nil reads the folder's CT series.
    public var series: String?

    public init(input: String, name: String, series: String? = nil) {
        self.input = input
        self.name = name
        self.series = series
    }

    /// The default output name: the file name without `.nii`, `.nii.gz`, `.hdr` or `.img`
    /// (or the folder's name for a DICOM series).
    public static func defaultName(for input: String) -> String {
        var name = URL(fileURLWithPath: input).lastPathComponent
        for suffix in [".nii.gz", ".nii", ".hdr", ".img", ".hdr.gz", ".img.gz"] where name.lowercased().hasSuffix(suffix) {
            name = String(name.dropLast(suffix.count))
            break
        }
        return name
    }
}

/// Why a batch's list of cases could not be made.
public enum BatchInputError: Error, Equatable, CustomStringConvertible {
    case unreadableManifest(path: String, reason: String)
    case badManifestLine(path: String, line: Int, reason: String)
    case unreadableFolder(String)
    case noCases(String)
    case duplicateNames([String])
    case badShard(String)

    public var description: String {
        switch self {
        case .unreadableManifest(let path, let reason): "cannot read the manifest \(path): \(reason)"
        case .badManifestLine(let path, let line, let reason): "\(path) line \(line): \(reason)"
        case .unreadableFolder(let path): "cannot list the folder \(path)"
        case .noCases(let source): "no cases in \(source) (expected NIfTI files or DICOM series folders)"
        case .duplicateNames(let names): "several cases would write the same outputs: \(names.joined(separator: ", ")); give them distinct names in the manifest's second column"
        case .badShard(let reason): "bad shard: \(reason)"
        }
    }
}
