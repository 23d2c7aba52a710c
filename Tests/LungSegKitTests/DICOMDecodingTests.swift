import CDCMTKWriter
import Foundation
import AHNet
import Testing
@testable import LungSegKit

/// Pixels decoded through DCMTK: every transfer syntax lungseg reads gives back exactly the
/// stored values, bit depths and signs are honoured, and formats it does not read are refused
/// with their own error.
@Suite("DICOM decoding")
struct DICOMDecodingTests {
    /// Signed 16-bit values over the whole range CT uses, some negative.
    static let signedValues = (0..<12).map { [-1024, -1000, -500, -1, 0, 1, 40, 400, 1000, 3071, -2048, 2047][$0] }

    @Test(arguments: [
        CDCMTK_IMPLICIT_LITTLE, CDCMTK_EXPLICIT_LITTLE, CDCMTK_EXPLICIT_BIG, CDCMTK_JPEG_LOSSLESS_SV1,
        CDCMTK_JPEG_LS_LOSSLESS, CDCMTK_RLE_LOSSLESS,
    ])
    func everyTransferSyntaxRoundTrips(encoding: cdcmtk_encoding) throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(3) { slice, index in
            slice.encoding = encoding
            slice.rescale = (1, 0)
            slice.storedValues = Self.signedValues.map { $0 + index }
        }
        let series = try DICOMSeriesReader.read(folder: folder.path)
        let expected = (0..<3).flatMap { k in Self.signedValues.map { Float($0 + k) } }
        #expect(series.volume.voxels == expected)
        #expect(series.transferSyntaxes.count == 1)
    }

    @Test func datasetsWithoutMetaHeaderAreRead() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(2) { slice, _ in
            slice.withoutMetaHeader = true
            slice.encoding = CDCMTK_IMPLICIT_LITTLE
        }
        let series = try DICOMSeriesReader.read(folder: folder.path)
        #expect(series.volume.dims == Size3(3, 4, 2))
        #expect(series.volume.voxels[0] == Float(100 - 1024))
    }

    @Test func rescaleIsAppliedPerSlice() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(3) { slice, index in
            slice.rescale = [(1, -1024), (2, -2048), (0.5, 10)][index]
            slice.storedValues = Array(repeating: 1000, count: 12)
        }
        let voxels = try DICOMSeriesReader.read(folder: folder.path).volume.voxels
        #expect(voxels[0] == -24 && voxels[11] == -24)
        #expect(voxels[12] == -48 && voxels[23] == -48)
        #expect(voxels[24] == 510 && voxels[35] == 510)
    }

    @Test func missingRescaleMeansStoredValuesAreHUWithAWarning() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(2) { slice, _ in
            slice.rescale = nil
            slice.storedValues = Array(repeating: -700, count: 12)
        }
        let series = try DICOMSeriesReader.read(folder: folder.path)
        #expect(series.volume.voxels.allSatisfy { $0 == -700 })
        #expect(series.warnings.contains("2 slices have no RescaleSlope/RescaleIntercept; stored values taken as HU"))
    }

    @Test func unsignedTwelveBitsAreMaskedToTheStoredBits() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(2) { slice, _ in
            slice.pixelRepresentation = 0
            slice.bitsStored = 12
            slice.rescale = (1, -1024)
            // High bits set above BitsStored (overlay leftovers) must not count.
            slice.storedValues = [0, 1024, 4095, 0xF000 | 1024] + Array(repeating: 2000, count: 8)
        }
        let volume = try DICOMSeriesReader.read(folder: folder.path).volume
        #expect(Array(volume.voxels.prefix(5)) == [-1024, 0, 3071, 0, 976])
        #expect(NIfTIDatatype(rawValue: volume.header.datatypeCode) == .uint16)
    }

    @Test func signedTwelveBitsAreSignExtended() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(2) { slice, _ in
            slice.pixelRepresentation = 1
            slice.bitsStored = 12
            slice.rescale = (1, 0)
            slice.storedValues = [0x0FFF, 0x0800, 0x07FF, 0] + Array(repeating: 5, count: 8)
        }
        let voxels = try DICOMSeriesReader.read(folder: folder.path).volume.voxels
        #expect(Array(voxels.prefix(4)) == [-1, -2048, 2047, 0])
    }

    @Test(arguments: [(0, [Float](arrayLiteral: 0, 128, 255, 7)), (1, [0, -128, -1, 7])])
    func eightBitPixels(representation: Int, expected: [Float]) throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(2) { slice, _ in
            slice.bitsAllocated = 8
            slice.bitsStored = 8
            slice.pixelRepresentation = representation
            slice.rescale = (1, 0)
            slice.storedValues = [0, 128, 255, 7] + Array(repeating: 1, count: 8)
        }
        let volume = try DICOMSeriesReader.read(folder: folder.path).volume
        #expect(Array(volume.voxels.prefix(4)) == expected)
        #expect(NIfTIDatatype(rawValue: volume.header.datatypeCode) == (representation == 0 ? .uint8 : .int8))
    }

    @Test func colourImagesAreRefused() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(2) { slice, _ in
            slice.photometric = "RGB"
            slice.samplesPerPixel = 3
            slice.bitsAllocated = 8
            slice.bitsStored = 8
            slice.pixelRepresentation = 0
        }
        #expect(throws: DICOMError.unsupportedPhotometric(path: folder.file("slice00.dcm"), value: "RGB with 3 samples per pixel")) {
            try DICOMSeriesReader.read(folder: folder.path)
        }
    }

    @Test func paletteImagesAreRefused() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(2) { slice, _ in slice.photometric = "PALETTE COLOR" }
        #expect(throws: DICOMError.unsupportedPhotometric(path: folder.file("slice00.dcm"), value: "PALETTE COLOR")) {
            try DICOMSeriesReader.read(folder: folder.path)
        }
    }

    @Test func highBitNotAtTheTopOfTheStoredBitsIsRefused() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(2) { slice, _ in
            slice.bitsAllocated = 16
            slice.bitsStored = 17  // more bits stored than allocated
        }
        #expect(throws: DICOMError.unsupportedBitDepth(path: folder.file("slice00.dcm"), bitsAllocated: 16, bitsStored: 17, highBit: 16)) {
            try DICOMSeriesReader.read(folder: folder.path)
        }
    }

    @Test func multiFrameImagesAreRefused() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(2) { slice, index in if index == 1 { slice.frames = 3 } }
        #expect(throws: DICOMError.unsupportedMultiFrame(path: folder.file("slice01.dcm"), frames: 3)) {
            try DICOMSeriesReader.read(folder: folder.path)
        }
    }

    @Test func zeroRescaleSlopeIsRefused() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(3) { slice, index in if index == 1 { slice.rescale = (0, -1024) } }
        #expect(throws: DICOMError.invalidRescale(path: folder.file("slice01.dcm"), slope: 0, intercept: -1024)) {
            try DICOMSeriesReader.read(folder: folder.path)
        }
    }

    /// A slice of the series cut short (a copy interrupted) is an error naming it, not a slice
    /// silently left out.
    @Test func aTruncatedSliceIsADecodeFailureNamingTheFile() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(3)
        let victim = folder.file("slice02.dcm")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: victim))
        do {
            _ = try DICOMSeriesReader.read(folder: folder.path)
            Issue.record("a cut file was read")
        } catch {
            guard case .decodeFailed(let path, let syntax, let reason) = error else {
                Issue.record("expected decodeFailed, got \(error)")
                return
            }
            #expect(path == victim)
            #expect(syntax == "Explicit VR Little Endian, 1.2.840.10008.1.2.1")
            #expect(reason.hasPrefix("the file is damaged: DCMTK could not parse it: "), "\(reason)")
        }
    }

    /// A damaged file of another series does not stop the read; it is named in a warning.
    @Test func aTruncatedFileOfAnotherSeriesIsOnlyAWarning() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(3)
        try folder.writeAxialSeries(1, prefix: "other") { slice, _ in slice.seriesUID = "1.2.826.0.1.3680043.9.7777.2.9" }
        let victim = folder.file("other00.dcm")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: victim))
        let series = try DICOMSeriesReader.read(folder: folder.path)
        #expect(series.volume.dims == Size3(3, 4, 3))
        #expect(series.warnings.count == 1)
        #expect(series.warnings.first?.hasPrefix("1 damaged DICOM file skipped: \(victim)") == true)
    }

    /// Regressions (DICOMFuzz): a 9 KB file whose ImagePositionPatient (in the dataset), or whose
    /// TransferSyntaxUID (in the meta header), declares 4 GB made DCMTK allocate the 4 GB when the
    /// header was read. Now the attribute is dropped, the file is damaged, and reading it costs
    /// what the file holds.
    @Test(arguments: ["dicom_oversized_attribute.dcm", "dicom_oversized_meta_attribute.dcm"])
    func anAttributeLongerThanItsFileIsDamageNotA4GBAllocation(name: String) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
        var before = rusage()
        getrusage(RUSAGE_SELF.rawValue, &before)
        let content = try DICOMFile.readHeader(path)
        var after = rusage()
        getrusage(RUSAGE_SELF.rawValue, &after)
        guard case .damaged(let reason, _) = content else {
            Issue.record("expected a damaged file, got \(content)")
            return
        }
        #expect(reason.contains("more than the file holds"), "\(reason)")
        #expect(after.ru_maxrss - before.ru_maxrss < 1_000_000, "peak RSS grew by \(after.ru_maxrss - before.ru_maxrss) KiB")
    }
}
