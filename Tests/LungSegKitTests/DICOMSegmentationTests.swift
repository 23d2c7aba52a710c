import AHNet
import Foundation
import Testing
@testable import LungSegKit

/// DICOM Segmentation objects written through dcmseg and read back through DCMTK: the frames
/// rebuild the mask voxel for voxel on the source series' grid.
@Suite("DICOM Segmentation output")
struct DICOMSegmentationTests {
    static func folder() throws -> String { try TemporaryFolder().path }

    @Test(arguments: [false, true])
    func framesRebuildTheMask(splitLungs: Bool) throws {
        let series = try DICOMSeriesReader.read(folder: TestFixtures.path("dicom_covidctmd_normal001_12"))
        var options = SegmentationOptions()
        options.splitLungs = splitLungs
        var result = try LungSegmenter(parameters: .clara, options: options).segment(series.volume, predictor: ThresholdPredictor(parameters: .clara))
        #expect(result.labels.contains { $0 != 0 })
        // A few airway voxels outside the lungs (12 thin slices hold no trachea the anatomy finds).
        result.airwayVoxels = (0..<40).map { 5_000 + $0 * 513 }.filter { result.labels[$0] == 0 }
        #expect(!result.airwayVoxels.isEmpty)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/lungs.dcm"
        let instance = DICOMSegmentation.instanceUID(series: series, caseName: "case")
        try DICOMSegmentation.write(result, series: series, to: path, seriesInstanceUID: DICOMSegmentation.uid(), sopInstanceUID: instance,
                                    softwareVersion: "test")
        let back = try DICOMSegmentation.read(path, series: series)
        var expected = splitLungs ? result.labels : result.labels.map { $0 == 0 ? 0 : 1 }
        // Segment numbers are consecutive: the airways follow the one or two lung segments.
        for index in result.airwayVoxels where expected[index] == 0 { expected[index] = splitLungs ? 3 : 2 }
        #expect(back.labels == expected)
        #expect(back.segments == (splitLungs ? 2 : 1) + (result.airwayVoxels.isEmpty ? 0 : 1))
        // Empty frames are left out: one frame per segment and slice that holds it.
        let plane = series.volume.dims.i * series.volume.dims.j
        let occupied = (1...3).reduce(0) { total, value in
            total + (0..<series.volume.dims.k).filter { k in expected[(k * plane)..<((k + 1) * plane)].contains(UInt8(value)) }.count
        }
        #expect(back.frames == occupied)
    }

    @Test func uidsAreValidAndTheInstanceIsDeterministic() throws {
        let series = try DICOMSeriesReader.read(folder: TestFixtures.path("dicom_covidctmd_normal001_12"))
        let first = DICOMSegmentation.instanceUID(series: series, caseName: "a")
        #expect(first == DICOMSegmentation.instanceUID(series: series, caseName: "a"))
        #expect(first != DICOMSegmentation.instanceUID(series: series, caseName: "b"))
        #expect(DICOMSegmentation.uid() != DICOMSegmentation.uid())
        for uid in [first, DICOMSegmentation.uid()] {
            #expect(uid.hasPrefix("2.25.") && uid.count <= 64 && uid.dropFirst(5).allSatisfy(\.isNumber) && !uid.dropFirst(5).hasPrefix("0"))
        }
    }

    @Test func anEmptyMaskWritesNothing() throws {
        let series = try DICOMSeriesReader.read(folder: TestFixtures.path("dicom_covidctmd_normal001_12"))
        // Nothing is darker than the clip floor: the threshold predictor finds no lung.
        let result = try LungSegmenter(parameters: .clara).segment(series.volume, predictor: ThresholdPredictor(belowHU: -5000, parameters: .clara))
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let transaction = OutputTransaction()
        #expect(throws: DICOMSegmentationError.emptyMask) {
            try DICOMSegmentation.write(result, series: series, to: folder + "/none.dcm", seriesInstanceUID: "2.25.1", sopInstanceUID: "2.25.2",
                                        softwareVersion: "test", in: transaction)
        }
        transaction.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    /// The model's provenance as Algorithm Parameters readers parse: key=value, comma-separated.
    @Test func algorithmParametersAreKeyValuePairs() {
        #expect(DICOMSegmentation.algorithmParameters(["name": "a,b", "date": "x=y", "weights": "w"]) == "date=x:y,name=a;b,weights=w")
    }
}
