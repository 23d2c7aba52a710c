/// The NIfTI datatype codes lungseg knows, and which of them can hold CT intensities.
public enum NIfTIDatatype: Int32, Sendable, CaseIterable {
    case binary = 1, uint8 = 2, int16 = 4, int32 = 8, float32 = 16, complex64 = 32, float64 = 64
    case rgb24 = 128, int8 = 256, uint16 = 512, uint32 = 768, int64 = 1024, uint64 = 1280
    case float128 = 1536, complex128 = 1792, complex256 = 2048, rgba32 = 2304

    /// The datatype's name as the NIfTI standard spells it (`DT_` dropped), e.g. "INT16".
    public var name: String {
        switch self {
        case .binary: "BINARY"
        case .uint8: "UINT8"
        case .int16: "INT16"
        case .int32: "INT32"
        case .float32: "FLOAT32"
        case .complex64: "COMPLEX64"
        case .float64: "FLOAT64"
        case .rgb24: "RGB24"
        case .int8: "INT8"
        case .uint16: "UINT16"
        case .uint32: "UINT32"
        case .int64: "INT64"
        case .uint64: "UINT64"
        case .float128: "FLOAT128"
        case .complex128: "COMPLEX128"
        case .complex256: "COMPLEX256"
        case .rgba32: "RGBA32"
        }
    }

    /// Bytes per voxel for the scalar types lungseg reads; nil for the types it refuses.
    public var scalarByteCount: Int? {
        switch self {
        case .uint8, .int8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        case .binary, .complex64, .complex128, .complex256, .rgb24, .rgba32, .float128: nil
        }
    }

    /// Whether the datatype can carry NaN or infinities.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// A printable name for any code, known or not.
    public static func name(ofCode code: Int32) -> String {
        NIfTIDatatype(rawValue: code)?.name ?? "unknown"
    }
}
