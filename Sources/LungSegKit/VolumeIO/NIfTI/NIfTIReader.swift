import CNIfTI
import Foundation

/// Bounds that a NIfTI header must respect before any voxel memory is allocated.
public struct NIfTIReadLimits: Sendable {
    /// Largest voxel count lungseg reads (the float32 copy alone needs 4 bytes a voxel).
    public var maxVoxels: Int64

    /// 1 Gi voxels: a 512x512x4096 CT, 4 GiB as float32.
    public static let standard = NIfTIReadLimits(maxVoxels: 1 << 30)

    public init(maxVoxels: Int64) { self.maxVoxels = maxVoxels }
}

/// Reads NIfTI-1, NIfTI-2 and ANALYZE 7.5 volumes (`.nii`, `.nii.gz`, `.hdr`/`.img`) through
/// libnifti2, after validating the header so that libnifti never acts on a header it should not trust.
public enum NIfTIReader {
    /// Reads a 3D volume as float32 with scl_slope/scl_inter applied.
    ///
    /// libnifti parses the header; the voxel block is read here rather than by
    /// `nifti_image_load`, which silently turns NaN and infinite voxels into zeros and cannot
    /// tell a damaged gzip stream from a short file.
    ///
    /// - Throws: ``NIfTIError`` naming the file and what is wrong with it.
    public static func read(_ path: String, limits: NIfTIReadLimits = .standard) throws(NIfTIError) -> Volume {
        let raw = try RawNIfTIHeader.read(path)
        let plan = try raw.validated(path: path, limits: limits)
        guard let image = nifti_image_read(path, 0) else { throw .notNIfTI(path: path) }
        defer { nifti_image_free(image) }
        let nim = image.pointee
        let affine = voxelToWorld(nim)
        guard affine.isInvertible else { throw .singularAffine(path: path) }

        let dataPath = nim.iname.map { String(cString: $0) } ?? path
        // libnifti's iname_offset wraps for a vox_offset past 2^31 (3e9 became 352): the stored
        // offset decides, and a file shorter than it is truncated, as nibabel says.
        var bytes = try readVoxelBytes(
            dataPath, offset: max(Int64(nim.iname_offset), plan.dataOffset), count: plan.dataByteCount)
        if nim.byteorder != nifti_short_order(), nim.swapsize > 1 {
            bytes.withUnsafeMutableBytes { nifti_swap_Nbytes(plan.voxelCount, nim.swapsize, $0.baseAddress) }
        }
        let voxels = bytes.withUnsafeBytes { buffer in
            convertToFloat(buffer, datatype: plan.datatype, count: Int(plan.voxelCount), scaling: plan.scaling)
        }
        if plan.datatype.isFloatingPoint || plan.scaling != nil {
            let nonFinite = voxels.reduce(into: 0) { count, value in if !value.isFinite { count += 1 } }
            if nonFinite > 0 { throw .nonFiniteVoxels(path: path, count: nonFinite) }
        }
        let header = NIfTIHeader(nim, version: plan.niftiVersion)
        return Volume(
            dims: header.dims, spacing: header.spacing, affine: affine, voxels: voxels, header: header)
    }

    /// Reads and validates only the header (no voxel data is loaded).
    public static func readHeader(_ path: String, limits: NIfTIReadLimits = .standard) throws(NIfTIError)
        -> (header: NIfTIHeader, affine: Affine)
    {
        let raw = try RawNIfTIHeader.read(path)
        let plan = try raw.validated(path: path, limits: limits)
        guard let image = nifti_image_read(path, 0) else { throw .notNIfTI(path: path) }
        defer { nifti_image_free(image) }
        let affine = voxelToWorld(image.pointee)
        guard affine.isInvertible else { throw .singularAffine(path: path) }
        return (NIfTIHeader(image.pointee, version: plan.niftiVersion), affine)
    }

    // MARK: - Steps

    /// How much voxel data is read (and allocated) at a time.
    static let compressedReadChunk: Int64 = 64 << 20

    /// Reads `count` bytes at `offset` of the data file (gzip or not), or says why it cannot.
    private static func readVoxelBytes(_ dataPath: String, offset: Int64, count: Int64) throws(NIfTIError) -> ArraySlice<UInt8> {
        guard FileManager.default.fileExists(atPath: dataPath) else { throw .fileNotFound(path: dataPath) }
        let compressed = NIfTIFileName.isGzip(dataPath)
        let expected = offset + count
        if !compressed, let available = NIfTIFileName.fileSize(dataPath), available < expected {
            throw .truncatedData(path: dataPath, expectedBytes: expected, availableBytes: available)
        }
        // The ordinary .nii.gz in one call; the streaming reader below takes every other case.
        if compressed, let whole = GzipInflate.wholeFile(dataPath, length: Int(expected)) {
            return whole[Int(offset)...]
        }
        guard let file = znzopen(dataPath, "rb", compressed ? 1 : 0) else { throw .fileNotFound(path: dataPath) }
        var handle: znzFile? = file
        defer { Xznzclose(&handle) }
        // fseek answers 0 on success, gzseek the new offset; both answer -1 on failure.
        let positioned = znzseek(file, .init(offset), SEEK_SET) >= 0
        // A gzip stream says nothing true about its length until it ends: the bytes grow as they
        // arrive, so a 110-byte file that declares 8 GB is refused after reading what it holds,
        // not after allocating what it claims.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(compressed ? Int(min(count, Self.compressedReadChunk)) : Int(count))
        var read = 0
        if positioned {
            var chunk = [UInt8](repeating: 0, count: Int(min(count, Self.compressedReadChunk)))
            while read < Int(count) {
                let wanted = min(chunk.count, Int(count) - read)
                let got = chunk.withUnsafeMutableBytes { znzread($0.baseAddress, 1, wanted, file) }
                guard got > 0 else { break }
                bytes.append(contentsOf: chunk[0..<got])
                read += got
            }
        }
        guard read == Int(count) else {
            guard compressed else {
                throw .truncatedData(path: dataPath, expectedBytes: expected, availableBytes: NIfTIFileName.fileSize(dataPath))
            }
            guard let length = GzipProbe.decompressedLength(dataPath) else { throw .corruptCompressedData(path: dataPath) }
            throw .truncatedData(path: dataPath, expectedBytes: expected, availableBytes: length)
        }
        return bytes[...]
    }

    /// The sform when sform_code > 0, else the qform (libnifti already makes the qform pixdim
    /// scaling when qform_code is 0: NIfTI's method 1).
    static func voxelToWorld(_ nim: nifti_image) -> Affine {
        var matrix = nim.sform_code > 0 ? nim.sto_xyz : nim.qto_xyz
        let values: [Double] = withUnsafeBytes(of: &matrix.m) { Array($0.bindMemory(to: Double.self)) }
        return Affine(rows: (0..<4).map { row in Array(values[(row * 4)..<(row * 4 + 4)]) })
    }

    /// Converts the stored voxels to float32, applying `value * slope + intercept` in double precision.
    static func convertToFloat(
        _ data: UnsafeRawBufferPointer, datatype: NIfTIDatatype, count: Int, scaling: (slope: Double, intercept: Double)?
    ) -> [Float] {
        switch datatype {
        case .uint8: convert(data, UInt8.self, count, scaling)
        case .int8: convert(data, Int8.self, count, scaling)
        case .int16: convert(data, Int16.self, count, scaling)
        case .uint16: convert(data, UInt16.self, count, scaling)
        case .int32: convert(data, Int32.self, count, scaling)
        case .uint32: convert(data, UInt32.self, count, scaling)
        case .int64: convert(data, Int64.self, count, scaling)
        case .uint64: convert(data, UInt64.self, count, scaling)
        case .float32: convert(data, Float.self, count, scaling)
        case .float64: convert(data, Double.self, count, scaling)
        case .binary, .complex64, .complex128, .complex256, .rgb24, .rgba32, .float128: []
        }
    }

    private static func convert<Stored: Numeric & Comparable>(
        _ data: UnsafeRawBufferPointer, _ type: Stored.Type, _ count: Int,
        _ scaling: (slope: Double, intercept: Double)?
    ) -> [Float] where Stored: DoubleConvertible {
        let source = data.bindMemory(to: Stored.self)
        // Element by element, so pieces in parallel give the same floats.
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            ParallelFor.run(0..<count, minimumChunk: 1 << 16) { range in
                if let scaling {
                    for index in range {
                        buffer.initializeElement(at: index, to: Float(source[index].doubleValue * scaling.slope + scaling.intercept))
                    }
                } else {
                    for index in range { buffer.initializeElement(at: index, to: Float(source[index].doubleValue)) }
                }
            }
            initialized = count
        }
    }
}

/// Numbers that convert to Double (every stored NIfTI scalar type).
protocol DoubleConvertible { var doubleValue: Double { get } }
extension UInt8: DoubleConvertible { var doubleValue: Double { Double(self) } }
extension Int8: DoubleConvertible { var doubleValue: Double { Double(self) } }
extension Int16: DoubleConvertible { var doubleValue: Double { Double(self) } }
extension UInt16: DoubleConvertible { var doubleValue: Double { Double(self) } }
extension Int32: DoubleConvertible { var doubleValue: Double { Double(self) } }
extension UInt32: DoubleConvertible { var doubleValue: Double { Double(self) } }
extension Int64: DoubleConvertible { var doubleValue: Double { Double(self) } }
extension UInt64: DoubleConvertible { var doubleValue: Double { Double(self) } }
extension Float: DoubleConvertible { var doubleValue: Double { Double(self) } }
extension Double: DoubleConvertible { var doubleValue: Double { self } }
