import CDCMTKWriter
import Foundation

/// Writes small single-slice DICOM files through DCMTK (the CDCMTKWriter test target), so that
/// tests can build series with every layout and fault lungseg must handle.
struct DICOMSliceBuilder {
    var sopClassUID: String? = "1.2.840.10008.5.1.4.1.1.2"  // CT Image Storage
    var modality: String? = "CT"
    var studyUID = "1.2.826.0.1.3680043.9.7777.1"
    var seriesUID = "1.2.826.0.1.3680043.9.7777.2.1"
    var seriesDescription: String? = "test series"
    var seriesNumber: Int32? = 1
    var imageType: String? = "ORIGINAL\\PRIMARY\\AXIAL"
    var photometric: String? = "MONOCHROME2"
    var instanceNumber: Int32 = 1
    /// ImagePositionPatient, ImageOrientationPatient, PixelSpacing (rows, then columns); nil leaves all three out.
    var position: [Double]? = [-10, -20, 30]
    var orientation: [Double] = [1, 0, 0, 0, 1, 0]
    var pixelSpacing: [Double] = [0.5, 0.75]
    var rows = 4
    var columns = 3
    var bitsAllocated = 16
    var bitsStored = 16
    var pixelRepresentation = 1
    var samplesPerPixel = 1
    /// NumberOfFrames; nil leaves it out.
    var frames: Int32?
    /// RescaleSlope and RescaleIntercept; nil leaves them out.
    var rescale: (slope: Double, intercept: Double)? = (1, -1024)
    var encoding: cdcmtk_encoding = CDCMTK_EXPLICIT_LITTLE
    var withoutMetaHeader = false
    /// Stored words, row by row (samples interleaved); nil writes a ramp that depends on the
    /// instance number, so that every slice differs.
    var storedValues: [Int]?

    /// The ramp `storedValues` defaults to: value(row, column) = 100 * instance + 10 * row + column.
    var defaultValues: [Int] {
        (0..<(rows * columns * samplesPerPixel * Int(frames ?? 1))).map { index in
            let pixel = index / samplesPerPixel
            return 100 * Int(instanceNumber) + 10 * (pixel / columns) + pixel % columns
        }
    }

    struct WriteError: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes the slice to `path`.
    func write(to path: String) throws {
        let values = storedValues ?? defaultValues
        var pixels: [UInt8] = []
        for value in values {
            if bitsAllocated == 16 {
                withUnsafeBytes(of: UInt16(truncatingIfNeeded: value)) { pixels += $0 }
            } else {
                pixels.append(UInt8(truncatingIfNeeded: value))
            }
        }
        let strings = [sopClassUID, modality, studyUID, seriesUID, seriesDescription, imageType, photometric]
        let copies = strings.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        var slice = cdcmtk_slice()
        slice.sop_class_uid = UnsafePointer(copies[0])
        slice.modality = UnsafePointer(copies[1])
        slice.study_instance_uid = UnsafePointer(copies[2])
        slice.series_instance_uid = UnsafePointer(copies[3])
        slice.series_description = UnsafePointer(copies[4])
        slice.image_type = UnsafePointer(copies[5])
        slice.photometric_interpretation = UnsafePointer(copies[6])
        slice.has_series_number = seriesNumber == nil ? 0 : 1
        slice.series_number = seriesNumber ?? 0
        slice.instance_number = instanceNumber
        if let position {
            slice.has_geometry = 1
            slice.image_position = (position[0], position[1], position[2])
            slice.image_orientation = (orientation[0], orientation[1], orientation[2], orientation[3], orientation[4], orientation[5])
            slice.pixel_spacing = (pixelSpacing[0], pixelSpacing[1])
        }
        slice.rows = UInt16(rows)
        slice.columns = UInt16(columns)
        slice.bits_allocated = UInt16(bitsAllocated)
        slice.bits_stored = UInt16(bitsStored)
        slice.pixel_representation = UInt16(pixelRepresentation)
        slice.samples_per_pixel = UInt16(samplesPerPixel)
        slice.number_of_frames = frames ?? 0
        if let rescale {
            slice.has_rescale = 1
            slice.rescale_slope = rescale.slope
            slice.rescale_intercept = rescale.intercept
        }
        slice.encoding = encoding
        slice.without_meta_header = withoutMetaHeader ? 1 : 0
        var message = [CChar](repeating: 0, count: 512)
        let status = pixels.withUnsafeBytes { cdcmtk_write_slice(path, &slice, $0.baseAddress, $0.count, &message, message.count) }
        guard status == CDCMTK_OK else {
            throw WriteError(description: "\(path): \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
    }
}

/// A temporary folder for one DICOM test, removed when the test lets go of it.
final class DICOMTestFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "lungseg-dicom-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// Writes an axial series: `count` slices `step` mm apart along +z from `z0`, named
    /// `prefix`NN.dcm, instance numbers 1, 2, ...
    @discardableResult
    func writeAxialSeries(
        _ count: Int, step: Double = 2, z0: Double = 30, prefix: String = "slice", _ configure: (inout DICOMSliceBuilder, Int) -> Void = { _, _ in }
    ) throws -> [DICOMSliceBuilder] {
        var slices: [DICOMSliceBuilder] = []
        for index in 0..<count {
            var slice = DICOMSliceBuilder()
            slice.instanceNumber = Int32(index + 1)
            slice.position = [-10, -20, z0 + Double(index) * step]
            configure(&slice, index)
            try slice.write(to: file(String(format: "%@%02d.dcm", prefix, index)))
            slices.append(slice)
        }
        return slices
    }
}

/// The repository's test fixtures folder.
enum TestFixtures {
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name)").path
    }
}
