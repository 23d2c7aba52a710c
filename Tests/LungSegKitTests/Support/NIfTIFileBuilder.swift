import CNIfTI
import Foundation

/// Writes small NIfTI files byte by byte, so that tests can make the odd and broken files that
/// no well-behaved writer would produce. Little-endian, as every machine lungseg runs on.
struct NIfTIFileBuilder {
    enum Version { case nifti1, nifti2 }

    var version: Version = .nifti1
    /// Writes header and ramp data big-endian (explicit `data` is written as given).
    var bigEndian = false
    /// dim[0...7]; dim[0] is the rank.
    var dim: [Int64] = [3, 4, 3, 2, 1, 1, 1, 1]
    var datatype: Int16 = 4  // INT16
    var bitpix: Int16 = 16
    var pixdim: [Double] = [1, 0.8, 0.8, 5, 0, 0, 0, 0]
    var sclSlope: Double = 0
    var sclInter: Double = 0
    var qformCode: Int32 = 1
    var sformCode: Int32 = 1
    var quaternion: [Double] = [0, 0, 1]  // a 180 degree turn about z: LPS storage
    var quaternionOffset: [Double] = [10, 20, -30]
    var sformRows: [[Double]] = [[-0.8, 0, 0, 10], [0, -0.8, 0, 20], [0, 0, 5, -30]]
    var xyztUnits: UInt8 = 2  // mm
    /// nil writes the standard offset (352 for NIfTI-1, 544 for NIfTI-2, 0 for pairs).
    var voxOffset: Double?
    var descrip = "lungseg test"
    /// Raw voxel bytes written after the header; nil writes `voxelCount * bitpix / 8` bytes of a ramp.
    var data: [UInt8]?

    /// Voxels the dims promise (0 when a dim is not positive, as broken test headers have).
    var voxelCount: Int {
        let rank = min(max(Int(dim[0]), 1), 7)
        let sizes = dim[1...rank]
        guard sizes.allSatisfy({ $0 > 0 && $0 < 1 << 20 }) else { return 0 }
        return sizes.reduce(1) { $0 * Int($1) }
    }

    /// A ramp of int16 values 0, 1, 2, ... as voxel bytes.
    static func int16Ramp(_ count: Int, bigEndian: Bool = false) -> [UInt8] {
        (0..<max(0, count)).flatMap { value -> [UInt8] in
            let v = UInt16(bitPattern: Int16(truncatingIfNeeded: value))
            return bigEndian ? [UInt8(v >> 8), UInt8(v & 0xff)] : [UInt8(v & 0xff), UInt8(v >> 8)]
        }
    }

    private var rampData: [UInt8] { Self.int16Ramp(voxelCount, bigEndian: bigEndian) }

    /// Header bytes (with the 4 extension bytes) followed by the data.
    func singleFileBytes() -> [UInt8] {
        var bytes = headerBytes(singleFile: true)
        bytes += [0, 0, 0, 0]
        bytes += data ?? rampData
        return bytes
    }

    func headerBytes(singleFile: Bool) -> [UInt8] {
        var out = ByteWriter(bigEndian: bigEndian)
        switch version {
        case .nifti1:
            out.int32(348)
            out.zeros(10 + 18 + 4 + 2)  // data_type, db_name, extents, session_error
            out.uint8(0)  // regular
            out.uint8(0)  // dim_info
            for value in dim { out.int16(Int16(truncatingIfNeeded: value)) }
            out.float(0); out.float(0); out.float(0)  // intent_p1..3
            out.int16(0)  // intent_code
            out.int16(datatype); out.int16(bitpix)
            out.int16(0)  // slice_start
            for value in pixdim { out.float(Float(value)) }
            out.float(Float(voxOffset ?? (singleFile ? 352 : 0)))
            out.float(Float(sclSlope)); out.float(Float(sclInter))
            out.int16(0)  // slice_end
            out.uint8(0)  // slice_code
            out.uint8(xyztUnits)
            out.float(0); out.float(0); out.float(0); out.float(0)  // cal_max, cal_min, slice_duration, toffset
            out.int32(0); out.int32(0)  // glmax, glmin
            out.text(descrip, length: 80)
            out.zeros(24)  // aux_file
            out.int16(Int16(qformCode)); out.int16(Int16(sformCode))
            for value in quaternion + quaternionOffset { out.float(Float(value)) }
            for row in sformRows { for value in row { out.float(Float(value)) } }
            out.zeros(16)  // intent_name
            out.text(singleFile ? "n+1" : "ni1", length: 4)
            precondition(out.bytes.count == 348)
        case .nifti2:
            out.int32(540)
            out.bytes += Array((singleFile ? "n+2" : "ni2").utf8) + [0, 0x0d, 0x0a, 0x1a, 0x0a]
            out.int16(datatype); out.int16(bitpix)
            for value in dim { out.int64(value) }
            out.double(0); out.double(0); out.double(0)
            for value in pixdim { out.double(value) }
            out.int64(Int64(voxOffset ?? (singleFile ? 544 : 0)))
            out.double(sclSlope); out.double(sclInter)
            out.double(0); out.double(0); out.double(0); out.double(0)  // cal_max, cal_min, slice_duration, toffset
            out.int64(0); out.int64(0)  // slice_start, slice_end
            out.text(descrip, length: 80)
            out.zeros(24)
            out.int32(qformCode); out.int32(sformCode)
            for value in quaternion + quaternionOffset { out.double(value) }
            for row in sformRows { for value in row { out.double(value) } }
            out.int32(0)  // slice_code
            out.int32(Int32(xyztUnits))
            out.int32(0)  // intent_code
            out.zeros(16)  // intent_name
            out.uint8(0)  // dim_info
            out.zeros(15)
            precondition(out.bytes.count == 540)
        }
        return out.bytes
    }

    /// Writes `.nii` (or `.nii.gz` when the name says so) and returns the path.
    @discardableResult
    func write(to path: String) throws -> String {
        try Self.writeFile(singleFileBytes(), to: path)
        return path
    }

    /// Writes a `.hdr`/`.img` pair and returns the header's path.
    func writePair(headerPath: String) throws -> String {
        try Self.writeFile(headerBytes(singleFile: false), to: headerPath)
        let imagePath = String(headerPath.dropLast(4)) + ".img"
        try Self.writeFile(data ?? rampData, to: imagePath)
        return headerPath
    }

    static func writeFile(_ bytes: [UInt8], to path: String) throws {
        if path.hasSuffix(".gz") {
            try Data(Gzip.compress(bytes)).write(to: URL(fileURLWithPath: path))
        } else {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
    }
}

/// gzip through libnifti's znzlib (zlib underneath), for test files.
enum Gzip {
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        let path = NSTemporaryDirectory() + "lungseg-gzip-\(UUID().uuidString).gz"
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let file = znzopen(path, "wb", 1) else { return [] }
        _ = bytes.withUnsafeBytes { znzwrite($0.baseAddress, 1, $0.count, file) }
        var handle: znzFile? = file
        Xznzclose(&handle)
        return (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }
}

struct ByteWriter {
    var bigEndian = false
    var bytes: [UInt8] = []
    mutating func uint8(_ value: UInt8) { bytes.append(value) }
    mutating func int16(_ value: Int16) { append(value) }
    mutating func int32(_ value: Int32) { append(value) }
    mutating func int64(_ value: Int64) { append(value) }
    mutating func float(_ value: Float) { append(value.bitPattern) }
    mutating func double(_ value: Double) { append(value.bitPattern) }
    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: bigEndian ? value.bigEndian : value.littleEndian) { bytes += $0 }
    }
    mutating func zeros(_ count: Int) { bytes += [UInt8](repeating: 0, count: count) }
    mutating func text(_ value: String, length: Int) {
        let utf8 = Array(value.utf8.prefix(length))
        bytes += utf8 + [UInt8](repeating: 0, count: length - utf8.count)
    }
}

/// A fresh folder for one test, removed by the caller.
struct TemporaryFolder {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "lungseg-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func contents() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The repository's data folder (real CTs with their provenance), found from this file's path.
enum RepositoryData {
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("data/\(name)").path
    }
}
