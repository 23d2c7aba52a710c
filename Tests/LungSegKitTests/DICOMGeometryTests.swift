import Foundation
import AHNet
import Testing
@testable import LungSegKit

/// Slice order, grid checks and the voxel-to-world matrix of DICOM series.
@Suite("DICOM geometry")
struct DICOMGeometryTests {
    static let series = "1.2.826.0.1.3680043.9.7777.2.1"

    /// The value of voxel (0, 0, k): the default ramp holds 100 x instance number there.
    static func firstVoxels(_ volume: Volume) -> [Float] { (0..<volume.dims[2]).map { volume.voxels[volume.index(0, 0, $0)] } }

    @Test func slicesAreSortedByPositionNotByNameOrInstanceNumber() throws {
        let folder = try DICOMTestFolder()
        // Names and instance numbers in an order unrelated to the positions.
        let positions: [Double] = [36, 30, 40, 32, 34, 38]
        for (index, z) in positions.enumerated() {
            var slice = DICOMSliceBuilder()
            slice.position = [-10, -20, z]
            slice.instanceNumber = Int32(index + 1)
            slice.rescale = (1, 0)
            try slice.write(to: folder.file(["f", "b", "e", "a", "d", "c"][index] + ".dcm"))
        }
        let volume = try DICOMSeriesReader.read(folder: folder.path).volume
        // Sorted along +z: 30 (instance 2), 32 (4), 34 (5), 36 (1), 38 (6), 40 (3).
        #expect(Self.firstVoxels(volume) == [200, 400, 500, 100, 600, 300])
        #expect(volume.affine.rows[2][3] == 30)
        #expect(volume.affine.rows[2][2] == 2)
    }

    @Test func axialGeometryFollowsTheDICOMToNIfTIConvention() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(3, step: 2.5, z0: -100)
        let volume = try DICOMSeriesReader.read(folder: folder.path).volume
        // 3 columns (i), 4 rows (j), 3 slices (k); PixelSpacing 0.5 between rows, 0.75 between columns.
        #expect(volume.dims == Size3(3, 4, 3))
        #expect(volume.spacing == Spacing3(0.75, 0.5, 2.5))
        // LPS (x, y, z) -> RAS (-x, -y, z); first voxel at LPS (-10, -20, -100).
        #expect(volume.affine.rows == [[-0.75, 0, 0, 10], [0, -0.5, 0, 20], [0, 0, 2.5, -100], [0, 0, 0, 1]])
        #expect(volume.orientationCode == "LPS")
        #expect(volume.header.sformCode == 1 && volume.header.qformCode == 1)
        #expect(volume.header.sformRows == Array(volume.affine.rows.prefix(3)))
        #expect(volume.header.pixdim.prefix(4) == [1, 0.75, 0.5, 2.5])
        // Voxel (i=2, j=3) of slice k is row 3, column 2 of the k-th slice: 100 * (k+1) + 32 - 1024.
        #expect(volume.voxels[volume.index(2, 3, 1)] == Float(200 + 32 - 1024))
    }

    @Test func obliqueSlicesGetTheirRotationInTheAffine() throws {
        let folder = try DICOMTestFolder()
        let c = cos(Double.pi / 6)
        let s = sin(Double.pi / 6)
        let row = [c, s, 0.0]
        let column = [0.0, 0.0, -1.0]  // coronal-ish: rows run toward the feet
        let normal = [row[1] * column[2] - row[2] * column[1], row[2] * column[0] - row[0] * column[2], row[0] * column[1] - row[1] * column[0]]
        let origin = [5.0, -7.0, 11.0]
        for k in 0..<4 {
            var slice = DICOMSliceBuilder()
            slice.orientation = row + column
            slice.position = (0..<3).map { origin[$0] + Double(k) * 3 * normal[$0] }
            slice.instanceNumber = Int32(4 - k)
            try slice.write(to: folder.file("s\(k).dcm"))
        }
        let volume = try DICOMSeriesReader.read(folder: folder.path).volume
        let expected: [[Double]] = [
            [-row[0] * 0.75, -column[0] * 0.5, -normal[0] * 3, -origin[0]],
            [-row[1] * 0.75, -column[1] * 0.5, -normal[1] * 3, -origin[1]],
            [row[2] * 0.75, column[2] * 0.5, normal[2] * 3, origin[2]],
            [0, 0, 0, 1],
        ]
        for r in 0..<4 {
            for q in 0..<4 { #expect(abs(volume.affine.rows[r][q] - expected[r][q]) < 1e-6, "[\(r)][\(q)]") }
        }
        #expect(abs(volume.spacing[2] - 3) < 1e-6)
        // The slice at the origin is k = 0 (instance 4).
        #expect(Self.firstVoxels(volume) == [400, 300, 200, 100].map { Float($0 - 1024) })
    }

    @Test func aMissingSliceIsAnError() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(6)
        try FileManager.default.removeItem(atPath: folder.file("slice03.dcm"))
        #expect(throws: DICOMError.missingSlice(
            uid: Self.series, afterPath: folder.file("slice02.dcm"), beforePath: folder.file("slice04.dcm"), gap: 4, spacing: 2)) {
            try DICOMSeriesReader.read(folder: folder.path)
        }
    }

    @Test func duplicatePositionsAreAnError() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(4)
        var copy = DICOMSliceBuilder()
        copy.position = [-10, -20, 32]
        try copy.write(to: folder.file("zcopy.dcm"))
        #expect(throws: DICOMError.duplicatePosition(path: folder.file("zcopy.dcm"), otherPath: folder.file("slice01.dcm"), position: [-10, -20, 32])) {
            try DICOMSeriesReader.read(folder: folder.path)
        }
    }

    @Test func slightlyVaryingSpacingIsReadWithAWarning() throws {
        let folder = try DICOMTestFolder()
        let positions: [Double] = [0, 2, 4.1, 6, 8]
        for (index, z) in positions.enumerated() {
            var slice = DICOMSliceBuilder()
            slice.position = [0, 0, z]
            slice.instanceNumber = Int32(index + 1)
            try slice.write(to: folder.file("s\(index).dcm"))
        }
        let series = try DICOMSeriesReader.read(folder: folder.path)
        #expect(series.volume.spacing[2] == 2)
        #expect(series.warnings == ["slice spacing varies from 1.9 to 2.1 mm; the grid uses the mean step 2 mm, so slice centres are up to 0.1 mm off"])
    }

    @Test func aTiltedSliceIsAnInconsistentOrientation() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(4) { slice, index in
            if index == 2 { slice.orientation = [1, 0, 0, 0, 0.9986295, 0.0523360] }  // 3 degrees off
        }
        #expect(throws: DICOMError.inconsistentOrientation(
            path: folder.file("slice02.dcm"), expected: [1, 0, 0, 0, 1, 0], found: [1, 0, 0, 0, 0.9986295, 0.0523360])) {
            try DICOMSeriesReader.read(folder: folder.path)
        }
    }

    @Test func twoPlanesOfEqualSizeAreAnInconsistentOrientation() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(2)
        try folder.writeAxialSeries(2, prefix: "sagittal") { slice, _ in slice.orientation = [0, 1, 0, 0, 0, -1] }
        // Neither plane holds most slices; the group whose first file sorts first is taken as the series.
        #expect(throws: DICOMError.inconsistentOrientation(
            path: folder.file("slice00.dcm"), expected: [0, 1, 0, 0, 0, -1], found: [1, 0, 0, 0, 1, 0])) {
            try DICOMSeriesReader.read(folder: folder.path)
        }
    }

    @Test func aSliceOfAnotherSizeIsAnInconsistentGrid() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(3) { slice, index in if index == 1 { slice.rows = 5 } }
        #expect(throws: DICOMError.inconsistentGrid(
            path: folder.file("slice01.dcm"), expected: "4 x 3 pixels (Rows x Columns)", found: "5 x 3 pixels (Rows x Columns)")) {
            try DICOMSeriesReader.read(folder: folder.path)
        }
    }

    @Test func missingPositionIsMissingGeometry() throws {
        let folder = try DICOMTestFolder()
        try folder.writeAxialSeries(3) { slice, index in if index == 2 { slice.position = nil } }
        #expect(throws: DICOMError.missingGeometry(path: folder.file("slice02.dcm"), attribute: "ImagePositionPatient")) {
            try DICOMSeriesReader.read(folder: folder.path)
        }
    }

    @Test func gantryTiltIsReadAsAShearedGridWithAWarning() throws {
        let folder = try DICOMTestFolder()
        // Each slice 2 mm further along z and 0.5 mm further along y: the stack leans.
        try folder.writeAxialSeries(4) { slice, index in slice.position = [-10, -20 + 0.5 * Double(index), 30 + 2 * Double(index)] }
        let series = try DICOMSeriesReader.read(folder: folder.path)
        #expect(series.volume.affine.rows[1][2] == -0.5)
        #expect(series.volume.affine.rows[2][2] == 2)
        #expect(series.warnings.count == 1)
        #expect(series.warnings.first?.contains("gantry tilt 14.04°") == true)
    }
}
