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
    /// - Throws: ``NIfTIError`` naming the file and what is wrong with it.
    public static func read(_ path: String, limits: NIfTIReadLimits = .standard) throws(NIfTIError) -> Volume {
        let raw = try RawNIfTIHeader.read(path)
        let plan = try raw.validated(path: path, limits: limits)
        try checkDataLength(path: path, plan: plan)

        guard let image = nifti_image_read(path, 1) else {
            throw diagnoseLoadFailure(path: path, plan: plan)
        }
        defer { nifti_image_free(image) }
        let nim = image.pointee
        guard let data = nim.data, nim.nvox == plan.voxelCount * plan.volumeCount else {
            throw diagnoseLoadFailure(path: path, plan: plan)
        }

        let affine = voxelToWorld(nim)
        guard affine.isInvertible else { throw .singularAffine(path: path) }

        let voxels = convertToFloat(
            data, datatype: plan.datatype, count: Int(plan.voxelCount), scaling: plan.scaling)
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

    /// For uncompressed data the file length can be checked before reading a byte of it.
    private static func checkDataLength(path: String, plan: ValidatedHeader) throws(NIfTIError) {
        let dataPath = NIfTIFileName.dataFile(forHeader: path)
        guard FileManager.default.fileExists(atPath: dataPath) else { throw .fileNotFound(path: dataPath) }
        guard !NIfTIFileName.isGzip(dataPath) else { return }
        let expected = plan.dataOffset + plan.dataByteCount
        let available = NIfTIFileName.fileSize(dataPath)
        if let available, available < expected {
            throw .truncatedData(path: dataPath, expectedBytes: expected, availableBytes: available)
        }
    }

    /// libnifti said no after the header passed: find out whether the gzip stream is broken or short.
    private static func diagnoseLoadFailure(path: String, plan: ValidatedHeader) -> NIfTIError {
        let dataPath = NIfTIFileName.dataFile(forHeader: path)
        let expected = plan.dataOffset + plan.dataByteCount
        guard NIfTIFileName.isGzip(dataPath) else {
            return .truncatedData(
                path: dataPath, expectedBytes: expected, availableBytes: NIfTIFileName.fileSize(dataPath))
        }
        guard let decompressed = GzipProbe.decompressedLength(dataPath) else {
            return .corruptCompressedData(path: dataPath)
        }
        if decompressed < expected {
            return .truncatedData(path: dataPath, expectedBytes: expected, availableBytes: decompressed)
        }
        return .notNIfTI(path: path)
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
        _ data: UnsafeMutableRawPointer, datatype: NIfTIDatatype, count: Int, scaling: (slope: Double, intercept: Double)?
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
        _ data: UnsafeMutableRawPointer, _ type: Stored.Type, _ count: Int,
        _ scaling: (slope: Double, intercept: Double)?
    ) -> [Float] where Stored: DoubleConvertible {
        let source = data.bindMemory(to: Stored.self, capacity: count)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let scaling {
                for index in 0..<count {
                    buffer[index] = Float(source[index].doubleValue * scaling.slope + scaling.intercept)
                }
            } else {
                for index in 0..<count { buffer[index] = Float(source[index].doubleValue) }
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
