import Foundation
import LungSegKit
import Testing

/// The command line with a DICOM folder where a NIfTI path used to go.
@Suite("Command line: DICOM input", .serialized, .timeLimit(.minutes(5)))
struct DICOMCommandLineTests {
    static let cipFolder = CommandLineTests.repository.appendingPathComponent("Tests/LungSegKitTests/Fixtures/dicom_cip_ct64").path
    static let cipSeries = "1.2.826.0.1.3680043.2.1125.1.18085492126195434258212517481071422"

    @Test func infoDescribesTheCIPDICOMFolder() throws {
        let result = try CommandLineTests.run(["info", Self.cipFolder])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("format:      DICOM series"))
        #expect(result.output.contains("series:      \(Self.cipSeries) (CT, series 123456 \"None\", 79 images)"))
        #expect(result.output.contains("encoding:    Implicit VR Little Endian, 1.2.840.10008.1.2"))
        #expect(result.output.contains("dims:        64 x 64 x 79"))
        #expect(result.output.contains("orientation: LPS"))
        #expect(result.output.contains("intensity:   -1007 ... 1095 (HU, after RescaleSlope/RescaleIntercept)"))
        #expect(result.error.isEmpty)
    }

    @Test func anUnknownSeriesExitsWithStatus2AndListsTheSeries() throws {
        let result = try CommandLineTests.run(["info", Self.cipFolder, "--series", "1.2.3"])
        #expect(result.status == 2)
        #expect(result.error == "lungseg: error: \(Self.cipFolder): no series 1.2.3; the folder holds \(Self.cipSeries) (CT, series 123456 \"None\", 79 images)\n")
    }

    /// DCMTK reads implicit-VR files through its dictionary file; without it the message says what to install.
    @Test func aMissingDictionaryIsABadInputWithAClearMessage() throws {
        let result = try CommandLineTests.run(["info", Self.cipFolder], environment: ["DCMDICTPATH": "/nonexistent/dicom.dic"])
        #expect(result.status == 2)
        #expect(result.error == "lungseg: error: cannot read DICOM: DCMTK's data dictionary could not be loaded (install libdcmtk17, or point DCMDICTPATH at dicom.dic)\n")
    }

    /// `segment` on a DICOM folder writes the mask as NIfTI on the DICOM grid (the hidden stub
    /// weights run the pipeline without a network).
    @Test func segmentWritesTheMaskOnTheDICOMGrid() throws {
        let folder = NSTemporaryDirectory() + "lungseg-dicom-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = folder + "/mask.nii.gz"
        let result = try CommandLineTests.run(["segment", Self.cipFolder, "--series", Self.cipSeries, "-o", output, "--weights", "stub", "--quiet"])
        #expect(result.status == 0, "\(result.error)")
        let mask = try NIfTIReader.read(output)
        let ct = try DICOMSeriesReader.read(folder: Self.cipFolder).volume
        #expect(mask.dims == ct.dims)
        for r in 0..<4 {
            // NIfTI-1 stores the affine as float32.
            for c in 0..<4 { #expect(abs(mask.affine.rows[r][c] - ct.affine.rows[r][c]) < 1e-4) }
        }
        #expect(mask.voxels.contains(1))
    }

    /// `--dicom-seg` on the CIP series (an exporter that pads with NUL bytes and has no slice
    /// thickness): a Segmentation whose frames rebuild the NIfTI mask and airways, listed in the report.
    @Test func segmentWritesADICOMSegmentation() throws {
        let folder = NSTemporaryDirectory() + "lungseg-dicom-seg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try CommandLineTests.run([
            "segment", Self.cipFolder, "-o", folder + "/m.nii.gz", "--airways", folder + "/a.nii.gz", "--dicom-seg", folder + "/lungs.dcm",
            "--report", folder + "/r.json", "--split-lungs", "--weights", "stub",
        ])
        #expect(result.status == 0, "\(result.error)")
        let series = try DICOMSeriesReader.read(folder: Self.cipFolder)
        let back = try DICOMSegmentation.read(folder + "/lungs.dcm", series: series)
        var expected = try NIfTIReader.read(folder + "/m.nii.gz").voxels.map { UInt8($0) }
        let airways = try NIfTIReader.read(folder + "/a.nii.gz").voxels
        #expect(airways.contains { $0 != 0 })
        for index in expected.indices where expected[index] == 0 && airways[index] != 0 { expected[index] = 3 }
        #expect(back.labels == expected && back.segments == 3)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/r.json"))) as? [String: Any]
        #expect((report?["outputs"] as? [String: String])?["dicomSegmentation"] == folder + "/lungs.dcm")
    }

    /// A NIfTI input has no study to reference: a usage error before any work, nothing written.
    @Test func aDICOMSegmentationOfANIfTIInputIsAUsageError() throws {
        let folder = NSTemporaryDirectory() + "lungseg-dicom-seg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ct = CommandLineTests.repository.appendingPathComponent("data/cip_ct64.nii.gz").path
        let result = try CommandLineTests.run(["segment", ct, "-o", folder + "/m.nii.gz", "--dicom-seg", folder + "/lungs.dcm", "--weights", "stub"])
        #expect(result.status == 64)
        #expect(result.error.contains("--dicom-seg needs a DICOM series folder as INPUT"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        let unwritable = try CommandLineTests.run(["segment", Self.cipFolder, "-o", folder + "/m.nii.gz", "--dicom-seg", "/nonexistent/lungs.dcm",
                                                   "--weights", "stub"])
        #expect(unwritable.status == 5)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    /// A series with a damaged slice fails as bad input (exit 2) before anything is written.
    @Test func aDamagedSeriesWritesNoSegmentation() throws {
        let folder = NSTemporaryDirectory() + "lungseg-dicom-bad-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/series", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.cipFolder).filter { $0.hasSuffix(".dcm") }.sorted()
        for name in files { try FileManager.default.copyItem(atPath: Self.cipFolder + "/" + name, toPath: folder + "/series/" + name) }
        let damaged = folder + "/series/" + files[files.count / 2]
        let bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
        try bytes.prefix(bytes.count - 3000).write(to: URL(fileURLWithPath: damaged))
        let result = try CommandLineTests.run(["segment", folder + "/series", "-o", folder + "/m.nii.gz", "--dicom-seg", folder + "/s.dcm",
                                               "--weights", "stub"])
        #expect(result.status == 2, "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/m.nii.gz") && !FileManager.default.fileExists(atPath: folder + "/s.dcm"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["series"])
    }
}
