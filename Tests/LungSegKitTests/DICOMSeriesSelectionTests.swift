import Foundation
import AHNet
import Testing
@testable import LungSegKit

/// Which series of a folder becomes the volume, and the errors when none can.
@Suite("DICOM series selection")
struct DICOMSeriesSelectionTests {
    static let mainSeries = "1.2.826.0.1.3680043.9.7777.2.1"
    static let otherSeries = "1.2.826.0.1.3680043.9.7777.2.2"

    @Test func theCTSeriesWithTheMostSlicesIsChosenWithAWarning() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(5, prefix: "a")
        try folder.writeAxialSeries(3, prefix: "b") { slice, _ in
            slice.seriesUID = Self.otherSeries
            slice.seriesNumber = 2
        }
        let series = try DICOMSeriesReader.read(folder: folder.path)
        #expect(series.summary.uid == Self.mainSeries)
        #expect(series.volume.dims == Size3(3, 4, 5))
        #expect(series.availableSeries.map(\.uid) == [Self.mainSeries, Self.otherSeries])
        #expect(series.warnings.count == 1)
        #expect(series.warnings.first?.contains("holds 2 CT series; reading \(Self.mainSeries) (5 slices") == true)
    }

    @Test func originalPrimaryIsPreferredOverALargerDerivedSeries() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(3, prefix: "a")
        try folder.writeAxialSeries(6, prefix: "b") { slice, _ in
            slice.seriesUID = Self.otherSeries
            slice.imageType = "DERIVED\\SECONDARY\\AXIAL"
        }
        #expect(try DICOMSeriesReader.read(folder: folder.path).summary.uid == Self.mainSeries)
    }

    @Test func anExplicitSeriesIsRead() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(5, prefix: "a")
        try folder.writeAxialSeries(3, prefix: "b") { slice, _ in slice.seriesUID = Self.otherSeries }
        let series = try DICOMSeriesReader.read(folder: folder.path, series: Self.otherSeries)
        #expect(series.summary.uid == Self.otherSeries)
        #expect(series.volume.dims == Size3(3, 4, 3))
        #expect(series.warnings.isEmpty)
    }

    @Test func anUnknownSeriesListsTheAvailableOnes() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(2, prefix: "a") { slice, _ in slice.seriesNumber = 7 }
        let expected = [DICOMSeriesSummary(uid: Self.mainSeries, modality: "CT", seriesNumber: 7, seriesDescription: "test series", imageCount: 2)]
        #expect(throws: DICOMError.seriesNotFound(uid: "1.2.3", folder: folder.path, available: expected)) {
            try DICOMSeriesReader.read(folder: folder.path, series: "1.2.3")
        }
        let message = String(describing: DICOMError.seriesNotFound(uid: "1.2.3", folder: folder.path, available: expected))
        #expect(message == "\(folder.path): no series 1.2.3; the folder holds \(Self.mainSeries) (CT, series 7 \"test series\", 2 images)")
    }

    @Test func localizersAreLeftOut() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(4)
        // A scout in the same series, marked LOCALIZER, in a coronal plane at an odd position.
        var scout = DICOMSliceBuilder()
        scout.imageType = "ORIGINAL\\PRIMARY\\LOCALIZER"
        scout.orientation = [1, 0, 0, 0, 0, -1]
        scout.position = [-10, 0, 100]
        scout.instanceNumber = 99
        try scout.write(to: folder.file("scout.dcm"))
        // A localizer series of its own, larger than the CT series.
        try folder.writeAxialSeries(6, prefix: "loc") { slice, _ in
            slice.seriesUID = Self.otherSeries
            slice.imageType = "ORIGINAL\\PRIMARY\\LOCALIZER"
        }
        let series = try DICOMSeriesReader.read(folder: folder.path)
        #expect(series.summary.uid == Self.mainSeries)
        #expect(series.volume.dims == Size3(3, 4, 4))
        #expect(series.warnings.contains("series \(Self.mainSeries): 1 localizer image (ImageType LOCALIZER) left out"))
    }

    @Test func aSliceInAnotherPlaneIsLeftOutAsALocalizer() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(4)
        var sagittal = DICOMSliceBuilder()
        sagittal.orientation = [0, 1, 0, 0, 0, -1]
        sagittal.instanceNumber = 50
        try sagittal.write(to: folder.file("sagittal.dcm"))
        let series = try DICOMSeriesReader.read(folder: folder.path)
        #expect(series.volume.dims == Size3(3, 4, 4))
        #expect(series.warnings.contains { $0.contains("1 slice in another plane left out as localizer") })
    }

    @Test func filesThatAreNotDICOMAreSkipped() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(3)
        try Data("not dicom at all".utf8).write(to: URL(fileURLWithPath: folder.file("README.txt")))
        try Data([0x08, 0x00]).write(to: URL(fileURLWithPath: folder.file("tiny")))
        try Data().write(to: URL(fileURLWithPath: folder.file("empty.dcm")))
        try FileManager.default.createDirectory(atPath: folder.file("nested"), withIntermediateDirectories: false)
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: folder.file("nested/noise.bin")))
        let series = try DICOMSeriesReader.read(folder: folder.path)
        #expect(series.volume.dims == Size3(3, 4, 3))
        #expect(series.warnings.isEmpty)
    }

    @Test func subfoldersAreSearched() throws {
        let folder = try DICOMTestFolder()
        try FileManager.default.createDirectory(atPath: folder.file("study/series"), withIntermediateDirectories: true)
        try folder.writeAxialSeries(3, prefix: "study/series/s")
        #expect(try DICOMSeriesReader.read(folder: folder.path).volume.dims == Size3(3, 4, 3))
    }

    @Test func symbolicLinksToFilesAreFollowed() throws {
        let store = try DICOMTestFolder()
        try store.writeAxialSeries(3)
        let folder = try DICOMTestFolder()
        for index in 0..<3 {
            let name = String(format: "slice%02d.dcm", index)
            try FileManager.default.createSymbolicLink(atPath: folder.file("link\(index)"), withDestinationPath: store.file(name))
        }
        // A link back to the folder itself must not make the scan loop.
        try FileManager.default.createSymbolicLink(atPath: folder.file("loop"), withDestinationPath: folder.path)
        #expect(try DICOMSeriesReader.read(folder: folder.path).volume.dims == Size3(3, 4, 3))
    }

    @Test func aDamagedDICOMFileIsSkippedWithAWarning() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(3)
        // The DICOM preamble and marker, then garbage.
        let broken = Data(repeating: 0, count: 128) + Data("DICM".utf8) + Data([0x02, 0x00, 0x10, 0x00, 0x55, 0x49, 0xFF, 0xFF])
        try broken.write(to: URL(fileURLWithPath: folder.file("broken.dcm")))
        let series = try DICOMSeriesReader.read(folder: folder.path)
        #expect(series.volume.dims == Size3(3, 4, 3))
        #expect(series.warnings.contains { $0.hasPrefix("1 damaged DICOM file skipped: \(folder.file("broken.dcm"))") })
    }

    @Test func aFolderWithoutDICOMIsAnError() throws {
        let folder = try DICOMTestFolder()
        try Data("hello".utf8).write(to: URL(fileURLWithPath: folder.file("a.txt")))
        #expect(throws: DICOMError.noDICOMFiles(folder: folder.path)) { try DICOMSeriesReader.read(folder: folder.path) }
    }

    @Test func aFolderWithoutCTIsAnError() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(3) { slice, _ in
            slice.modality = "MR"
            slice.sopClassUID = "1.2.840.10008.5.1.4.1.1.4"
        }
        let available = [DICOMSeriesSummary(uid: Self.mainSeries, modality: "MR", seriesNumber: 1, seriesDescription: "test series", imageCount: 3)]
        #expect(throws: DICOMError.noCTSeries(folder: folder.path, available: available)) {
            try DICOMSeriesReader.read(folder: folder.path)
        }
        #expect(throws: DICOMError.notCT(uid: Self.mainSeries, modality: "MR")) {
            try DICOMSeriesReader.read(folder: folder.path, series: Self.mainSeries)
        }
    }

    @Test func aMissingFolderIsAnError() {
        #expect(throws: DICOMError.folderNotFound(path: "/nonexistent/dicom")) {
            try DICOMSeriesReader.read(folder: "/nonexistent/dicom")
        }
    }

    @Test func oneSliceIsNotAVolume() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(1)
        #expect(throws: DICOMError.tooFewSlices(uid: Self.mainSeries, count: 1)) { try DICOMSeriesReader.read(folder: folder.path) }
    }
}
