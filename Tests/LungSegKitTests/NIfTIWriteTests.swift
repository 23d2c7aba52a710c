import Foundation
import Testing
@testable import LungSegKit

@Suite("Writing NIfTI on a source grid, atomically")
struct NIfTIWriteTests {
    let folder: TemporaryFolder
    let source: Volume

    init() throws {
        folder = try TemporaryFolder()
        var ct = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        // A source whose intent, scaling and display range are all set, so that the reset of
        // each is seen (cip_ct64's own are already 0, 1, 0 and would hide a copy).
        (ct.header.intentCode, ct.header.intentName) = (1002, "label")
        (ct.header.sclSlope, ct.header.sclInter, ct.header.calMin, ct.header.calMax) = (2, -1024, -1000, 1000)
        source = ct
    }

    /// The grid-describing fields must survive; scaling, display range and intent are reset.
    private func expectCopiedHeader(_ written: NIfTIHeader, from original: NIfTIHeader, datatype: NIfTIDatatype) {
        #expect(written.dims == original.dims)
        #expect(written.pixdim[0...3] == original.pixdim[0...3])
        #expect(written.qformCode == original.qformCode)
        #expect(written.sformCode == original.sformCode)
        #expect(written.quaternion == original.quaternion)
        #expect(written.quaternionOffset == original.quaternionOffset)
        #expect(written.qfac == original.qfac)
        #expect(written.sformRows == original.sformRows)
        #expect(written.xyzUnits == original.xyzUnits)
        #expect(written.timeUnits == original.timeUnits)
        #expect(written.descrip == original.descrip)
        #expect(written.niftiVersion == original.niftiVersion)
        #expect(written.datatypeCode == datatype.rawValue)
        #expect(written.sclSlope == 1 && written.sclInter == 0)
        #expect(written.calMin == 0 && written.calMax == 0)
        #expect(written.intentCode == 0 && written.intentName.isEmpty)
    }

    @Test(arguments: ["mask.nii", "mask.nii.gz"])
    func maskRoundTrip(name: String) throws {
        defer { folder.remove() }
        let labels = source.voxels.map { $0 < -400 ? UInt8(1) : UInt8(0) }
        let path = folder.file(name)
        try NIfTIWriter.writeMask(labels, like: source.header, to: path)
        let back = try NIfTIReader.read(path)
        #expect(back.voxels == labels.map(Float.init))
        #expect(back.affine == source.affine)
        expectCopiedHeader(back.header, from: source.header, datatype: .uint8)
        #expect(folder.contents() == [name])
    }

    /// The writer checks a gzip output by its trailer (the length it says it holds) instead of
    /// decompressing it again: the trailer of a whole file is the NIfTI-1 file's length, and a
    /// file cut short (as on a full disk) no longer ends in it.
    @Test func gzipTrailerTellsAWholeFileFromOneCutShort() throws {
        defer { folder.remove() }
        let labels = source.voxels.map { $0 < -400 ? UInt8(1) : UInt8(0) }
        let path = folder.file("mask.nii.gz")
        try NIfTIWriter.writeMask(labels, like: source.header, to: path)
        #expect(GzipProbe.trailerLength(path) == UInt32(348 + 4 + labels.count))
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = folder.file("cut.nii.gz")
        try whole.prefix(whole.count * 2 / 3).write(to: URL(fileURLWithPath: cut))
        #expect(GzipProbe.trailerLength(cut) != UInt32(348 + 4 + labels.count))
        #expect(GzipProbe.decompressedLength(cut) == nil)
        #expect(GzipProbe.trailerLength(folder.file("absent.nii.gz")) == nil)
        try Data([0x1f, 0x8b, 0, 0]).write(to: URL(fileURLWithPath: cut))
        #expect(GzipProbe.trailerLength(cut) == nil)
    }

    @Test(arguments: ["map.nii", "map.nii.gz"])
    func floatMapRoundTrip(name: String) throws {
        defer { folder.remove() }
        let values = source.voxels.enumerated().map { Float($0.offset) * 0.001 - $0.element / 7 }
        let path = folder.file(name)
        try NIfTIWriter.writeMap(values, like: source.header, to: path)
        let back = try NIfTIReader.read(path)
        #expect(back.voxels == values)
        expectCopiedHeader(back.header, from: source.header, datatype: .float32)
    }

    /// Outputs are NIfTI-1 (see NIfTIWriter): a NIfTI-2 source's double geometry is rounded to float.
    @Test func nifti2SourceGivesNifti1OutputOnTheSameGrid() throws {
        defer { folder.remove() }
        var builder = NIfTIFileBuilder()
        builder.version = .nifti2
        let original = try NIfTIReader.read(builder.write(to: folder.file("src2.nii")))
        let path = folder.file("out2.nii.gz")
        try NIfTIWriter.writeMask([UInt8](repeating: 2, count: 24), like: original.header, to: path)
        let back = try NIfTIReader.read(path)
        var rounded = original.header
        rounded.niftiVersion = 1
        rounded.pixdim = rounded.pixdim.map { Double(Float($0)) }
        rounded.sformRows = rounded.sformRows.map { $0.map { Double(Float($0)) } }
        expectCopiedHeader(back.header, from: rounded, datatype: .uint8)
        #expect(back.voxels == [Float](repeating: 2, count: 24))
    }

    @Test func wrongVoxelCountLeavesTheExistingFileUntouched() throws {
        defer { folder.remove() }
        let path = folder.file("mask.nii.gz")
        try Data("previous result".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: NIfTIError.gridMismatch(expected: source.count, actual: 5)) {
            try NIfTIWriter.writeMask([1, 2, 3, 4, 5], like: source.header, to: path)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "previous result")
        #expect(folder.contents() == ["mask.nii.gz"])
    }

    /// The rename fails after the data were written: the temporary file must not stay behind.
    @Test func failedRenameLeavesNothingBehind() throws {
        defer { folder.remove() }
        let path = folder.file("taken.nii.gz")
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        let labels = [UInt8](repeating: 1, count: source.count)
        #expect {
            try NIfTIWriter.writeMask(labels, like: source.header, to: path)
        } throws: { error in
            guard case .writeFailed(let failedPath, _)? = error as? NIfTIError else { return false }
            return failedPath == path
        }
        #expect(folder.contents() == ["taken.nii.gz"])
    }

    @Test func missingFolder() throws {
        defer { folder.remove() }
        let path = folder.file("no/such/folder/mask.nii.gz")
        #expect {
            try NIfTIWriter.writeMask([UInt8](repeating: 0, count: source.count), like: source.header, to: path)
        } throws: { error in
            guard case .writeFailed(let failedPath, _)? = error as? NIfTIError else { return false }
            return failedPath == path
        }
    }

    @Test func onlyNiftiNames() throws {
        defer { folder.remove() }
        let path = folder.file("mask.png")
        #expect(throws: NIfTIError.unsupportedOutputName(path: path)) {
            try NIfTIWriter.writeMask([UInt8](repeating: 0, count: source.count), like: source.header, to: path)
        }
        #expect(folder.contents().isEmpty)
    }
}
