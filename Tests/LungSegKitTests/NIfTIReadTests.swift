import Foundation
import AHNet
import Testing
@testable import LungSegKit

@Suite("Reading NIfTI: formats, datatypes, scaling, geometry")
struct NIfTIReadTests {
    @Test(arguments: ["ramp.nii", "ramp.nii.gz"])
    func nifti1SingleFile(name: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try NIfTIFileBuilder().write(to: folder.file(name))
        let volume = try NIfTIReader.read(path)
        #expect(volume.dims == Size3(4, 3, 2))
        #expect(volume.voxels == (0..<24).map(Float.init))
        #expect(volume.orientationCode == "LPS")
        #expect(volume.header.niftiVersion == 1)
        #expect(volume.header.descrip == "lungseg test")
    }

    /// A .nii.gz that holds exactly what its header announces is decompressed in one call
    /// (libdeflate), in one gzip member or several (as pigz and bgzip write); one that holds more
    /// goes through the streaming reader. All read the voxels of the uncompressed file.
    @Test func gzipInOneCallOrStreamedReadsTheSameVoxels() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let source = RepositoryData.path("cip_ct64.nii.gz")
        let length = try #require(GzipProbe.decompressedLength(source))
        let bytes = try #require(GzipInflate.wholeFile(source, length: Int(length)))
        #expect(GzipInflate.wholeFile(source, length: Int(length) + 1) == nil)
        #expect(GzipInflate.wholeFile(source, length: Int(length) - 1) == nil)
        let plain = folder.file("ct.nii")
        try Data(bytes).write(to: URL(fileURLWithPath: plain))
        let expected = try NIfTIReader.read(plain).voxels
        #expect(try NIfTIReader.read(source).voxels == expected)

        let half = bytes.count / 2
        let twoMembers = folder.file("two.nii.gz")
        try Data(Gzip.compress(Array(bytes[..<half])) + Gzip.compress(Array(bytes[half...]))).write(to: URL(fileURLWithPath: twoMembers))
        #expect(GzipInflate.wholeFile(twoMembers, length: bytes.count) == bytes)
        #expect(try NIfTIReader.read(twoMembers).voxels == expected)

        let longer = folder.file("longer.nii.gz")
        try Data(Gzip.compress(bytes + [1, 2, 3, 4])).write(to: URL(fileURLWithPath: longer))
        #expect(GzipInflate.wholeFile(longer, length: bytes.count) == nil)
        #expect(try NIfTIReader.read(longer).voxels == expected)
    }

    @Test(arguments: ["ramp2.nii", "ramp2.nii.gz"])
    func nifti2SingleFile(name: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var builder = NIfTIFileBuilder()
        builder.version = .nifti2
        let volume = try NIfTIReader.read(builder.write(to: folder.file(name)))
        #expect(volume.header.niftiVersion == 2)
        #expect(volume.dims == Size3(4, 3, 2))
        #expect(volume.voxels == (0..<24).map(Float.init))
        #expect(volume.affine.rows[0] == [-0.8, 0, 0, 10])
    }

    @Test(arguments: [NIfTIFileBuilder.Version.nifti1, .nifti2])
    func bigEndianFiles(version: NIfTIFileBuilder.Version) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var builder = NIfTIFileBuilder()
        builder.version = version
        builder.bigEndian = true
        builder.sclSlope = 2
        builder.sclInter = -5
        let volume = try NIfTIReader.read(builder.write(to: folder.file("be.nii.gz")))
        #expect(volume.dims == Size3(4, 3, 2))
        let expected: [Float] = (0..<24).map { Float(2 * $0 - 5) }
        #expect(volume.voxels == expected)
        #expect(volume.orientationCode == "LPS")
    }

    @Test func headerImagePair() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try NIfTIFileBuilder().writePair(headerPath: folder.file("pair.hdr"))
        let volume = try NIfTIReader.read(path)
        #expect(volume.voxels == (0..<24).map(Float.init))
    }

    /// Every integer and float datatype, with scl_slope 2 and scl_inter -1024 applied.
    @Test(arguments: [
        (Int16(2), Int16(8)), (256, 8), (4, 16), (512, 16), (8, 32), (768, 32), (1024, 64), (1280, 64), (16, 32), (64, 64),
    ])
    func datatypesConvertWithScaling(datatype: Int16, bitpix: Int16) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let stored: [Double] = [0, 1, 7, 100, 3, 5, 9, 11]
        var builder = NIfTIFileBuilder()
        builder.dim = [3, 2, 2, 2, 1, 1, 1, 1]
        builder.datatype = datatype
        builder.bitpix = bitpix
        builder.sclSlope = 2
        builder.sclInter = -1024
        builder.data = stored.flatMap { encode($0, datatype: datatype) }
        let volume = try NIfTIReader.read(builder.write(to: folder.file("t\(datatype).nii")))
        #expect(volume.voxels == stored.map { Float($0 * 2 - 1024) })
    }

    @Test func slopeZeroMeansNoScaling() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var builder = NIfTIFileBuilder()
        builder.sclSlope = 0
        builder.sclInter = 500  // ignored: the standard scales only when the slope is nonzero
        let volume = try NIfTIReader.read(builder.write(to: folder.file("s.nii")))
        #expect(volume.voxels == (0..<24).map(Float.init))
    }

    @Test func fourDimensionalWithOneVolumeReads() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var builder = NIfTIFileBuilder()
        builder.dim = [4, 4, 3, 2, 1, 1, 1, 1]
        let volume = try NIfTIReader.read(builder.write(to: folder.file("4d1.nii")))
        #expect(volume.dims == Size3(4, 3, 2))
    }

    @Test func qformUsedWhenSformCodeIsZero() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var builder = NIfTIFileBuilder()
        builder.sformCode = 0
        builder.sformRows = [[9, 0, 0, 0], [0, 9, 0, 0], [0, 0, 9, 0]]  // ignored
        builder.quaternion = [0, 0, 0]  // identity rotation: RAS
        let volume = try NIfTIReader.read(builder.write(to: folder.file("q.nii")))
        #expect(volume.orientationCode == "RAS")
        #expect(volume.affine.rows[0] == [Double(Float(0.8)), 0, 0, 10])
    }

    @Test func pixdimScalingWhenNeitherFormIsSet() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var builder = NIfTIFileBuilder()
        builder.sformCode = 0
        builder.qformCode = 0
        let volume = try NIfTIReader.read(builder.write(to: folder.file("p.nii")))
        #expect(volume.affine == Affine.scaling(Spacing3(Double(Float(0.8)), Double(Float(0.8)), 5)))
    }

    @Test(arguments: [
        ([[1.0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], "RAS"),
        ([[-1.0, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0]], "LPS"),
        ([[-1.0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], "LAS"),
        ([[0.0, 0, 1, 0], [1, 0, 0, 0], [0, -1, 0, 0]], "AIR"),
        ([[0.9, 0.1, 0, 0], [-0.1, 0.9, 0, 0], [0, 0, 1, 0]], "RAS"),
    ])
    func orientationCodes(rows: [[Double]], code: String) {
        #expect(Affine(rows: rows + [[0, 0, 0, 1]]).orientationCode == code)
    }

    private func encode(_ value: Double, datatype: Int16) -> [UInt8] {
        func bytes<T>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }
        switch datatype {
        case 2: return bytes(UInt8(value))
        case 256: return bytes(Int8(value))
        case 4: return bytes(Int16(value))
        case 512: return bytes(UInt16(value))
        case 8: return bytes(Int32(value))
        case 768: return bytes(UInt32(value))
        case 1024: return bytes(Int64(value))
        case 1280: return bytes(UInt64(value))
        case 16: return bytes(Float(value))
        default: return bytes(value)
        }
    }
}
