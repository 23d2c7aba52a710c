/// One series found in a DICOM folder, as error messages and `lungseg info` list it.
public struct DICOMSeriesSummary: Equatable, Sendable, CustomStringConvertible {
    /// SeriesInstanceUID ("" when the files carry none).
    public var uid: String
    public var modality: String
    public var seriesNumber: Int?
    public var seriesDescription: String
    /// DICOM images (files with pixel data) in the series, localizers included.
    public var imageCount: Int

    public init(uid: String, modality: String, seriesNumber: Int?, seriesDescription: String, imageCount: Int) {
        self.uid = uid
        self.modality = modality
        self.seriesNumber = seriesNumber
        self.seriesDescription = seriesDescription
        self.imageCount = imageCount
    }

    /// E.g. `1.2.3.4 (CT, series 4 "ThorRoutine 2.0", 154 images)`.
    public var description: String {
        var details = [modality.isEmpty ? "no modality" : modality]
        var name = seriesNumber.map { "series \($0)" } ?? ""
        if !seriesDescription.isEmpty { name += (name.isEmpty ? "" : " ") + "\"\(seriesDescription)\"" }
        if !name.isEmpty { details.append(name) }
        details.append("\(imageCount) image\(imageCount == 1 ? "" : "s")")
        return "\(uid.isEmpty ? "(no SeriesInstanceUID)" : uid) (\(details.joined(separator: ", ")))"
    }
}
