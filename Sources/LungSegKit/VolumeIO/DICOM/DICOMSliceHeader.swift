import Foundation
import CDCMTK

/// The header of one DICOM image file, as lungseg uses it: identification, geometry, pixel format
/// and intensity scaling. Optional values are attributes the file does not carry.
struct DICOMSliceHeader: Sendable {
    var path: String
    var sopClassUID: String
    var modality: String
    var seriesInstanceUID: String
    var seriesDescription: String
    /// ImageType values, e.g. ["ORIGINAL", "PRIMARY", "AXIAL"].
    var imageType: [String]
    var seriesNumber: Int?
    var instanceNumber: Int?
    /// ImagePositionPatient: the centre of the first transmitted pixel, DICOM LPS millimetres.
    var imagePosition: [Double]?
    /// ImageOrientationPatient: the row direction (toward increasing column index), then the column direction.
    var imageOrientation: [Double]?
    /// PixelSpacing: between rows (along the column direction), then between columns.
    var pixelSpacing: [Double]?
    var rows: Int
    var columns: Int
    var numberOfFrames: Int
    var bitsAllocated: Int
    var bitsStored: Int
    var highBit: Int
    var pixelRepresentation: Int
    var samplesPerPixel: Int
    var photometricInterpretation: String
    var rescaleSlope: Double?
    var rescaleIntercept: Double?
    var transferSyntaxUID: String
    var hasPixelData: Bool

    /// A localizer (scout) by its ImageType; such images never belong to a volume.
    var isLocalizer: Bool { imageType.contains("LOCALIZER") }

    /// ImageType starts ORIGINAL\PRIMARY: acquired images, not reformats or secondary captures.
    var isOriginalPrimary: Bool { imageType.count >= 2 && imageType[0] == "ORIGINAL" && imageType[1] == "PRIMARY" }

    init(path: String, _ raw: cdcmtk_header) {
        var raw = raw
        self.path = path
        sopClassUID = cString(&raw.sop_class_uid)
        modality = cString(&raw.modality)
        seriesInstanceUID = cString(&raw.series_instance_uid)
        seriesDescription = cString(&raw.series_description)
        imageType = cString(&raw.image_type).split(separator: "\\").map {
            $0.trimmingCharacters(in: .whitespaces).uppercased()
        }
        photometricInterpretation = cString(&raw.photometric_interpretation)
        transferSyntaxUID = cString(&raw.transfer_syntax_uid)
        seriesNumber = raw.has_series_number != 0 ? Int(raw.series_number) : nil
        instanceNumber = raw.has_instance_number != 0 ? Int(raw.instance_number) : nil
        imagePosition = raw.has_image_position != 0 ? doubles(&raw.image_position, 3) : nil
        imageOrientation = raw.has_image_orientation != 0 ? doubles(&raw.image_orientation, 6) : nil
        pixelSpacing = raw.has_pixel_spacing != 0 ? doubles(&raw.pixel_spacing, 2) : nil
        rows = Int(raw.rows)
        columns = Int(raw.columns)
        numberOfFrames = Int(raw.number_of_frames)
        bitsAllocated = Int(raw.bits_allocated)
        bitsStored = Int(raw.bits_stored)
        highBit = Int(raw.high_bit)
        pixelRepresentation = Int(raw.pixel_representation)
        samplesPerPixel = Int(raw.samples_per_pixel)
        rescaleSlope = raw.has_rescale_slope != 0 ? raw.rescale_slope : nil
        rescaleIntercept = raw.has_rescale_intercept != 0 ? raw.rescale_intercept : nil
        hasPixelData = raw.has_pixel_data != 0
    }
}

/// A NUL-terminated C character array as a Swift string (invalid UTF-8 repaired).
private func cString<Tuple>(_ tuple: inout Tuple) -> String {
    withUnsafeBytes(of: &tuple) { bytes in
        let length = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes.prefix(length), as: UTF8.self)
    }
}

/// The first `count` doubles of a C double array.
private func doubles<Tuple>(_ tuple: inout Tuple, _ count: Int) -> [Double] {
    withUnsafeBytes(of: &tuple) { Array($0.bindMemory(to: Double.self).prefix(count)) }
}
