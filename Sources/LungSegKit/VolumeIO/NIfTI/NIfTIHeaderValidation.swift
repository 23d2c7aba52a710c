import CNIfTI
import Foundation

/// The header fields that decide whether a file is safe to load, read by libnifti without its
/// own checks (`nifti_read_header(..., check: 0)`) so that lungseg can say precisely what is wrong.
struct RawNIfTIHeader {
    var niftiVersion: Int
    /// dim[0...7] as stored.
    var dim: [Int64]
    var datatypeCode: Int32
    var pixdim: [Double]
    var voxOffset: Double
    var sclSlope: Double
    var sclInter: Double

    /// Reads the header of `path` (either version, gzip or not, byte-swapped as needed).
    static func read(_ path: String) throws(NIfTIError) -> RawNIfTIHeader {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else { throw .notNIfTI(path: path) }
        cnifti_silence()
        var version: Int32 = 0
        guard let pointer = nifti_read_header(path, &version, 0) else {
            if NIfTIFileName.isGzip(path), GzipProbe.decompressedLength(path) == nil {
                throw .corruptCompressedData(path: path)
            }
            throw .notNIfTI(path: path)
        }
        defer { free(pointer) }
        switch version {
        case 2:
            var h = pointer.load(as: nifti_2_header.self)
            // check 0 reads the header as stored; a big-endian file needs swapping here.
            if h.sizeof_hdr != 540 { nifti_swap_as_nifti2(&h) }
            return RawNIfTIHeader(
                niftiVersion: 2, dim: tupleValues(h.dim, as: Int64.self), datatypeCode: Int32(h.datatype),
                pixdim: tupleValues(h.pixdim, as: Double.self), voxOffset: Double(h.vox_offset),
                sclSlope: h.scl_slope, sclInter: h.scl_inter)
        case 0, 1:
            var h = pointer.load(as: nifti_1_header.self)
            if h.sizeof_hdr != 348 { nifti_swap_as_nifti1(&h) }
            return RawNIfTIHeader(
                niftiVersion: 1, dim: tupleValues(h.dim, as: Int16.self).map(Int64.init),
                datatypeCode: Int32(h.datatype),
                pixdim: tupleValues(h.pixdim, as: Float.self).map(Double.init),
                voxOffset: Double(h.vox_offset), sclSlope: Double(h.scl_slope), sclInter: Double(h.scl_inter))
        default:
            throw .notNIfTI(path: path)
        }
    }

    /// Checks everything that can be checked before a byte of voxel data is read.
    func validated(path: String, limits: NIfTIReadLimits) throws(NIfTIError) -> ValidatedHeader {
        let rank = dim[0]
        guard (1...7).contains(rank) else { throw .invalidDimensions(path: path, dims: dim) }
        let used = Array(dim[1...Int(rank)])
        guard used.allSatisfy({ $0 >= 1 }) else { throw .invalidDimensions(path: path, dims: used) }

        guard let datatype = NIfTIDatatype(rawValue: datatypeCode), let byteCount = datatype.scalarByteCount else {
            throw .unsupportedDatatype(
                path: path, code: datatypeCode, name: NIfTIDatatype.name(ofCode: datatypeCode))
        }

        let spatial = (0..<3).map { $0 < used.count ? used[$0] : 1 }
        guard spatial.allSatisfy({ $0 >= 2 }) else { throw .notAVolume(path: path, dims: used) }
        // dims 4...7 multiply into the number of 3D volumes.
        var volumes: Int64 = 1
        for extra in used.dropFirst(3) {
            let (product, overflow) = volumes.multipliedReportingOverflow(by: extra)
            guard !overflow else { throw .tooLarge(path: path, voxels: .max, limit: limits.maxVoxels) }
            volumes = product
        }
        guard volumes == 1 else { throw .multipleVolumes(path: path, count: volumes) }

        var voxels: Int64 = 1
        for size in spatial {
            let (product, overflow) = voxels.multipliedReportingOverflow(by: size)
            guard !overflow, product <= limits.maxVoxels else {
                throw .tooLarge(path: path, voxels: overflow ? .max : product, limit: limits.maxVoxels)
            }
            voxels = product
        }

        let spacing = Array(pixdim[1...3])
        guard spacing.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw .invalidSpacing(path: path, spacing: spacing)
        }

        // Found by fuzzing: a huge float vox_offset trapped the conversion to Int64.
        guard voxOffset.isFinite, voxOffset >= 0, voxOffset < 0x1_0000_0000_0000 else {
            throw .invalidDataOffset(path: path, offset: voxOffset)
        }

        return ValidatedHeader(
            niftiVersion: niftiVersion, datatype: datatype, voxelCount: voxels, dataOffset: Int64(voxOffset),
            dataByteCount: voxels * Int64(byteCount),
            scaling: try scaling(path: path))
    }

    /// The standard: scl_slope 0 means no scaling. nibabel treats NaN the same way.
    private func scaling(path: String) throws(NIfTIError) -> (slope: Double, intercept: Double)? {
        if sclSlope == 0 || sclSlope.isNaN { return nil }
        guard sclSlope.isFinite, sclInter.isFinite else {
            throw .invalidScaling(path: path, slope: sclSlope, intercept: sclInter)
        }
        if sclSlope == 1 && sclInter == 0 { return nil }
        return (sclSlope, sclInter)
    }
}

/// What a validated header allows the reader to do.
struct ValidatedHeader {
    var niftiVersion: Int
    var datatype: NIfTIDatatype
    var voxelCount: Int64
    /// vox_offset as stored (libnifti keeps a 32-bit copy that wraps beyond 2 GiB).
    var dataOffset: Int64
    var dataByteCount: Int64
    var scaling: (slope: Double, intercept: Double)?
}

/// The values of a fixed-size C array (imported as a tuple).
func tupleValues<Tuple, Element>(_ tuple: Tuple, as type: Element.Type) -> [Element] {
    withUnsafeBytes(of: tuple) { raw in
        (0..<(raw.count / MemoryLayout<Element>.stride)).map {
            raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<Element>.stride, as: Element.self)
        }
    }
}

/// A C character array (imported as a tuple) as a String, up to its first NUL.
func tupleString<Tuple>(_ tuple: Tuple) -> String {
    withUnsafeBytes(of: tuple) { raw in
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}
