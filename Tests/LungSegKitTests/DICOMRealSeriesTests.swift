import AHNet
import Foundation
import Testing
@testable import LungSegKit

/// Real CT series read through DCMTK, against the NIfTI of the same CT and against what pydicom
/// 3.0.2 (with pylibjpeg for JPEG Lossless) reports for them (tools/fixtures/dicom_facts.py).
@Suite("DICOM real series", .timeLimit(.minutes(5)))
struct DICOMRealSeriesTests {
    static let cipFolder = TestFixtures.path("dicom_cip_ct64")
    static let jpegFolder = TestFixtures.path("dicom_covidctmd_normal001_12")
    /// The whole 154-slice series (39 MB, not in the repository): the project's shared data folder.
    static let fullJPEGFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/dicom/covidctmd_normal001").path

    /// The CIP DICOM series and data/cip_ct64.nii.gz are the same CT: brought to RAS by the
    /// pipeline's own `Reorientation`, the voxels are identical and every voxel lies at the same
    /// world position within 1e-3 mm (the NIfTI stores its affine as float32, and its slice step
    /// 3.9873419 mm where the DICOM positions give 3.9873372 mm: 0.4 um over 78 slices).
    @Test func cipSeriesEqualsTheBundledNIfTIInWorldSpace() throws {
        let dicom = try DICOMSeriesReader.read(folder: Self.cipFolder)
        let nifti = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        #expect(dicom.warnings.isEmpty)
        #expect(dicom.transferSyntaxes == ["Implicit VR Little Endian, 1.2.840.10008.1.2"])

        let dicomToRAS = try Reorientation(affine: dicom.volume.affine, dims: dicom.volume.dims, to: "RAS")
        let niftiToRAS = try Reorientation(affine: nifti.affine, dims: nifti.dims, to: "RAS")
        #expect(dicomToRAS.targetDims == Size3(64, 64, 79) && niftiToRAS.targetDims == Size3(64, 64, 79))
        #expect(dicomToRAS.apply(dicom.volume.voxels) == niftiToRAS.apply(nifti.voxels))

        let dicomAffine = dicomToRAS.affine(dicom.volume.affine)
        let niftiAffine = niftiToRAS.affine(nifti.affine)
        for r in 0..<4 {
            for c in 0..<4 { #expect(abs(dicomAffine.rows[r][c] - niftiAffine.rows[r][c]) < 1e-3, "affine[\(r)][\(c)]") }
        }
        for corner in [(0.0, 0.0, 0.0), (63, 0, 0), (0, 63, 0), (0, 0, 78), (63, 63, 78)] {
            let a = dicomAffine.world(corner.0, corner.1, corner.2)
            let b = niftiAffine.world(corner.0, corner.1, corner.2)
            #expect((0..<3).allSatisfy { abs(a[$0] - b[$0]) < 1e-3 }, "voxel \(corner): \(a) vs \(b)")
        }
        // As stored, both grids are LPS with the same voxel order.
        #expect(dicom.volume.orientationCode == "LPS" && nifti.orientationCode == "LPS")
        #expect(dicom.volume.voxels == nifti.voxels)
    }

    @Test func cipSeriesMatchesPydicom() throws {
        let volume = try DICOMSeriesReader.read(folder: Self.cipFolder).volume
        #expect(volume.dims == Size3(64, 64, 79))
        let affine: [[Double]] = [
            [-4.171872, 0, 0, 128.414], [0, -4.171872, 0, 264.414], [0, 0, 3.9873371794871795, -360.256], [0, 0, 0, 1],
        ]
        for r in 0..<4 {
            for c in 0..<4 { #expect(abs(volume.affine.rows[r][c] - affine[r][c]) < 1e-9) }
        }
        #expect(volume.intensityRange == -1007...1095)
        #expect(volume.voxels.reduce(0.0) { $0 + Double($1) } == -150_669_474)
        #expect(volume.voxels[volume.index(10, 20, 30)] == -947)
        #expect(volume.voxels[volume.index(32, 40, 50)] == 223)
    }

    /// 12 consecutive slices of a Siemens JPEG Lossless (process 14, SV1) series, whose file
    /// names run against the slice order.
    @Test func jpegLosslessSeriesMatchesPydicom() throws {
        let series = try DICOMSeriesReader.read(folder: Self.jpegFolder)
        let volume = series.volume
        #expect(series.warnings.isEmpty)
        #expect(series.transferSyntaxes == ["JPEG Lossless SV1, 1.2.840.10008.1.2.4.70"])
        #expect(series.summary.seriesNumber == 4 && series.summary.imageCount == 12)
        #expect(volume.dims == Size3(512, 512, 12))
        #expect(volume.spacing == Spacing3(0.634765625, 0.634765625, 2))
        #expect(volume.affine.rows == [
            [-0.634765625, 0, 0, 162.1826171875], [0, -0.634765625, 0, 307.1826171875], [0, 0, 2, -186.5], [0, 0, 0, 1],
        ])
        #expect(volume.intensityRange == -1024...1679)
        #expect(volume.voxels.reduce(0.0) { $0 + Double($1) } == -1_286_060_210)
        #expect(volume.voxels[volume.index(0, 0, 0)] == -1024)
        #expect(volume.voxels[volume.index(200, 300, 5)] == -834)
        #expect(volume.voxels[volume.index(511, 511, 11)] == -976)
        #expect(volume.voxels[volume.index(100, 256, 10)] == -886)
    }

    /// The whole series of ../shared/data/README.md: 512x512x154, 0.6348 mm pixels, slices every
    /// 2 mm from z = -330.5 to -24.5, HU = stored - 1024. Skipped where the shared data folder is
    /// absent (the series is 39 MB, too large for the repository; the 12-slice fixture above runs everywhere).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: fullJPEGFolder), "../shared/data/dicom/covidctmd_normal001 is not present"))
    func fullJPEGLosslessSeriesMatchesTheSharedDataFacts() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let series = try DICOMSeriesReader.read(folder: Self.fullJPEGFolder)
        let elapsed = clock.now - start
        let volume = series.volume
        #expect(volume.dims == Size3(512, 512, 154))
        #expect(volume.affine.rows == [
            [-0.634765625, 0, 0, 162.1826171875], [0, -0.634765625, 0, 307.1826171875], [0, 0, 2, -330.5], [0, 0, 0, 1],
        ])
        #expect(volume.affine.world(0, 0, 153)[2] == -24.5)
        #expect(volume.intensityRange == -1024...1679)
        #expect(volume.voxels.reduce(0.0) { $0 + Double($1) } == -14_953_122_333)
        #expect(volume.voxels[volume.index(0, 0, 0)] == -1009)
        #expect(volume.voxels[volume.index(200, 300, 5)] == 90)
        #expect(volume.voxels[volume.index(511, 511, 153)] == -973)
        #expect(volume.voxels[volume.index(100, 256, 10)] == -81)
        print("DICOM: 154 JPEG Lossless slices (512x512) read in \(elapsed)")
    }

    /// A mask segmented from the JPEG series is written as NIfTI on the DICOM grid: reading it back
    /// gives the volume's grid and affine exactly (every value here is exact in float32), and its
    /// lung voxels sit on the image's dark voxels at the same indices, hence at the same world positions.
    @Test func maskOfTheJPEGSeriesLinesUpWithTheImage() throws {
        let (volume, warnings) = try VolumeInput.read(Self.jpegFolder)
        #expect(warnings.isEmpty)
        var parameters = PipelineParameters.clara
        parameters.windowSize = Size3(128, 128, 16)
        let result = try LungSegmenter(parameters: parameters).segment(volume, predictor: ThresholdPredictor(parameters: parameters))
        let folder = try DICOMTestFolder()
        let path = folder.file("mask.nii.gz")
        try NIfTIWriter.writeMask(result.mask(), like: volume.header, to: path)

        let mask = try NIfTIReader.read(path)
        #expect(mask.dims == volume.dims)
        #expect(mask.affine == volume.affine)
        #expect(mask.header.sformCode == 1 && mask.header.qformCode == 1)
        let lung = mask.voxels.indices.filter { mask.voxels[$0] != 0 }
        let dark = lung.filter { volume.voxels[$0] < -400 }.count
        #expect(lung.count > 100_000)
        #expect(Double(dark) / Double(lung.count) > 0.95, "\(dark) of \(lung.count) mask voxels are dark")
    }

    @Test func volumeInputReadsNIfTIFilesAndDICOMFolders() throws {
        let fromFolder = try VolumeInput.read(Self.cipFolder)
        let fromFile = try VolumeInput.read(RepositoryData.path("cip_ct64.nii.gz"))
        #expect(fromFolder.volume.voxels == fromFile.volume.voxels)
        #expect(fromFolder.warnings.isEmpty && fromFile.warnings.isEmpty)
        let withSeries = try VolumeInput.read(RepositoryData.path("cip_ct64.nii.gz"), series: "1.2.3")
        #expect(withSeries.warnings == ["--series 1.2.3 ignored: \(RepositoryData.path("cip_ct64.nii.gz")) is a NIfTI file, not a DICOM folder"])
        #expect(throws: NIfTIError.fileNotFound(path: "/nonexistent.nii.gz")) { try VolumeInput.read("/nonexistent.nii.gz") }
    }
}
