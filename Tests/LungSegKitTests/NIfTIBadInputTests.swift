import Foundation
import AHNet
import Testing
@testable import LungSegKit

/// Every kind of bad input gets its own error, named in the message, and nothing crashes.
@Suite("Bad NIfTI input")
struct NIfTIBadInputTests {
    let folder: TemporaryFolder

    init() throws { folder = try TemporaryFolder() }

    /// Writes the builder's file and returns the error reading it gives.
    private func readError(_ builder: NIfTIFileBuilder, name: String = "bad.nii") throws -> NIfTIError? {
        defer { folder.remove() }
        let path = try builder.write(to: folder.file(name))
        return readError(path)
    }

    private func readError(_ path: String) -> NIfTIError? {
        do {
            _ = try NIfTIReader.read(path)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingFile() {
        defer { folder.remove() }
        let path = folder.file("absent.nii.gz")
        #expect(readError(path) == .fileNotFound(path: path))
    }

    @Test func missingImageOfAPair() throws {
        defer { folder.remove() }
        let header = try NIfTIFileBuilder().writePair(headerPath: folder.file("pair.hdr"))
        try FileManager.default.removeItem(atPath: folder.file("pair.img"))
        #expect(readError(header) == .fileNotFound(path: folder.file("pair.img")))
    }

    @Test func notNIfTI() throws {
        defer { folder.remove() }
        let path = folder.file("notes.nii")
        try Data(String(repeating: "this is not an image\n", count: 40).utf8).write(to: URL(fileURLWithPath: path))
        #expect(readError(path) == .notNIfTI(path: path))
        let gzPath = folder.file("notes.nii.gz")
        try NIfTIFileBuilder.writeFile(Array(String(repeating: "plain text ", count: 80).utf8), to: gzPath)
        #expect(readError(gzPath) == .notNIfTI(path: gzPath))
    }

    @Test func gzipCutInHalf() throws {
        defer { folder.remove() }
        let whole = try Data(contentsOf: URL(fileURLWithPath: RepositoryData.path("cip_ct64.nii.gz")))
        let path = folder.file("half.nii.gz")
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(readError(path) == .corruptCompressedData(path: path))
    }

    @Test func headerClaimsMoreVoxelsThanTheFileHolds() throws {
        var builder = NIfTIFileBuilder()
        builder.data = NIfTIFileBuilder.int16Ramp(10)  // 24 promised
        let path = folder.file("bad.nii")
        #expect(try readError(builder) == .truncatedData(path: path, expectedBytes: 352 + 48, availableBytes: 352 + 20))
    }

    /// Regression: a tiny .nii.gz declaring 1000^3 float64 voxels (8 GB) made lungseg allocate
    /// the 8 GB before finding the stream's end. Now the bytes grow as they arrive: the error comes
    /// with the process's peak memory grown by far less than the declared size.
    @Test func gzipBombIsRefusedBeforeAllocatingItsClaim() throws {
        var builder = NIfTIFileBuilder()
        builder.dim = [3, 1000, 1000, 1000, 1, 1, 1, 1]
        builder.datatype = 64  // FLOAT64
        builder.bitpix = 64
        builder.data = [UInt8](repeating: 0, count: 8)
        let path = folder.file("bomb.nii.gz")
        var before = rusage()
        getrusage(RUSAGE_SELF.rawValue, &before)
        #expect(try readError(builder, name: "bomb.nii.gz") == .truncatedData(path: path, expectedBytes: 352 + 8_000_000_000, availableBytes: 352 + 8))
        var after = rusage()
        getrusage(RUSAGE_SELF.rawValue, &after)
        #expect(after.ru_maxrss - before.ru_maxrss < 2_000_000, "peak RSS grew by \(after.ru_maxrss - before.ru_maxrss) KiB")
    }

    @Test func gzipHoldingTooFewVoxels() throws {
        var builder = NIfTIFileBuilder()
        builder.data = NIfTIFileBuilder.int16Ramp(10)
        let path = folder.file("bad.nii.gz")
        #expect(try readError(builder, name: "bad.nii.gz") == .truncatedData(path: path, expectedBytes: 352 + 48, availableBytes: 352 + 20))
    }

    @Test(arguments: [Int64(0), -5])
    func zeroOrNegativeDimension(size: Int64) throws {
        var builder = NIfTIFileBuilder()
        builder.dim = [3, 4, size, 2, 1, 1, 1, 1]
        #expect(try readError(builder) == .invalidDimensions(path: folder.file("bad.nii"), dims: [4, size, 2]))
    }

    @Test func rankOutOfRange() throws {
        var builder = NIfTIFileBuilder()
        builder.dim = [9, 4, 3, 2, 1, 1, 1, 1]
        #expect(try readError(builder) == .invalidDimensions(path: folder.file("bad.nii"), dims: builder.dim))
    }

    /// A header of 100000^3 voxels is refused before anything is allocated.
    @Test func hugeDimensionsRefusedBeforeAllocating() throws {
        var builder = NIfTIFileBuilder()
        builder.version = .nifti2
        builder.dim = [3, 100_000, 100_000, 100_000, 1, 1, 1, 1]
        builder.data = NIfTIFileBuilder.int16Ramp(8)
        #expect(try readError(builder) == .tooLarge(path: folder.file("bad.nii"), voxels: 10_000_000_000, limit: 1 << 30))
    }

    @Test func dimensionProductOverflowIsRefused() throws {
        var builder = NIfTIFileBuilder()
        builder.version = .nifti2
        builder.dim = [3, 2, 1 << 62, 2, 1, 1, 1, 1]
        builder.data = []
        #expect(try readError(builder) == .tooLarge(path: folder.file("bad.nii"), voxels: .max, limit: 1 << 30))
    }

    @Test(arguments: [0.0, -0.8, Double.nan, Double.infinity])
    func badSpacing(value: Double) throws {
        var builder = NIfTIFileBuilder()
        builder.pixdim[2] = value
        let error = try readError(builder)
        guard case .invalidSpacing(let path, let spacing)? = error else {
            Issue.record("expected invalidSpacing, got \(String(describing: error))")
            return
        }
        #expect(path == folder.file("bad.nii"))
        #expect(spacing[1].isNaN == value.isNaN)
        #expect(value.isNaN || spacing[1] == Double(Float(value)))
    }

    @Test func singularAffine() throws {
        var builder = NIfTIFileBuilder()
        builder.sformRows = [[0.8, 0, 0, 0], [1.6, 0, 0, 0], [0, 0, 5, 0]]
        #expect(try readError(builder) == .singularAffine(path: folder.file("bad.nii")))
    }

    @Test(arguments: [(Int16(32), Int16(64), "COMPLEX64"), (128, 24, "RGB24"), (2304, 32, "RGBA32"), (1792, 128, "COMPLEX128"), (1536, 128, "FLOAT128"), (77, 16, "unknown")])
    func unsupportedDatatypes(code: Int16, bitpix: Int16, name: String) throws {
        var builder = NIfTIFileBuilder()
        builder.datatype = code
        builder.bitpix = bitpix
        builder.data = [UInt8](repeating: 0, count: 24 * Int(bitpix) / 8)
        #expect(try readError(builder) == .unsupportedDatatype(path: folder.file("bad.nii"), code: Int32(code), name: name))
    }

    @Test(arguments: [[Int64(2), 4, 3, 1, 1, 1, 1, 1], [3, 4, 3, 1, 1, 1, 1, 1]])
    func twoDimensionalImages(dim: [Int64]) throws {
        var builder = NIfTIFileBuilder()
        builder.dim = dim
        let rank = Int(dim[0])
        #expect(try readError(builder) == .notAVolume(path: folder.file("bad.nii"), dims: Array(dim[1...rank])))
    }

    @Test func severalVolumesAreRefused() throws {
        var builder = NIfTIFileBuilder()
        builder.dim = [4, 4, 3, 2, 3, 1, 1, 1]
        #expect(try readError(builder) == .multipleVolumes(path: folder.file("bad.nii"), count: 3))
    }

    @Test func nanAndInfinityVoxels() throws {
        var builder = NIfTIFileBuilder()
        builder.datatype = 16
        builder.bitpix = 32
        var values = (0..<24).map(Float.init)
        values[3] = .nan
        values[7] = .infinity
        values[8] = -.infinity
        builder.data = values.flatMap { value in withUnsafeBytes(of: value) { Array($0) } }
        let error = try readError(builder)
        #expect(error == .nonFiniteVoxels(path: folder.file("bad.nii"), count: 3), "\(String(describing: error))")
    }

    /// Regression: the fuzzer's first finding (a vox_offset of about 1e30 trapped an Int64 conversion).
    @Test(arguments: [-352.0, 1e30, Double.infinity])
    func invalidDataOffset(offset: Double) throws {
        var builder = NIfTIFileBuilder()
        builder.voxOffset = offset
        #expect(try readError(builder) == .invalidDataOffset(path: folder.file("bad.nii"), offset: Double(Float(offset))))
    }

    /// A vox_offset beyond 2^31 (3e9, 1e12) points past the end of the file: truncated data, as
    /// nibabel says, never the voxels at offset 352 (libnifti's 32-bit copy of it wraps).
    @Test(arguments: [3e9, 1e12])
    func dataOffsetBeyondTheFile(offset: Double) throws {
        var builder = NIfTIFileBuilder()
        builder.voxOffset = offset
        let error = try readError(builder)
        guard case .truncatedData(let path, let expected, _) = error else {
            Issue.record("expected truncated data, got \(String(describing: error))")
            return
        }
        #expect(path == folder.file("bad.nii") && expected == Int64(Float(offset)) + 48)
    }

    @Test func infiniteSlope() throws {
        var builder = NIfTIFileBuilder()
        builder.sclSlope = .infinity
        builder.sclInter = 0
        #expect(try readError(builder) == .invalidScaling(path: folder.file("bad.nii"), slope: .infinity, intercept: 0))
    }

    @Test func errorsNameTheFileAndTheProblem() {
        defer { folder.remove() }
        let message = NIfTIError.tooLarge(path: "/x/ct.nii", voxels: 10, limit: 5).description
        #expect(message.contains("/x/ct.nii") && message.contains("10 voxels"))
    }
}
