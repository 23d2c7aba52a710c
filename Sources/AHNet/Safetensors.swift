import Foundation

/// Reads safetensors files (Hugging Face's format: an 8-byte little-endian header length, a JSON
/// header, raw little-endian data) into float32 host tensors. F32, F16 and BF16 are converted;
/// I64 scalars (BatchNorm counters) are read as floats.
public enum Safetensors {
    /// Tensors and the `__metadata__` strings.
    public static func read(_ path: String) throws(WeightsError) -> (tensors: StateDict, metadata: [String: String]) {
        guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path: path) }
        guard let data = FileManager.default.contents(atPath: path) else { throw .malformed(path: path, reason: "unreadable") }
        return try parse(data, path: path)
    }

    /// Whether the bytes look like safetensors (a plausible header length followed by '{').
    public static func looksLikeSafetensors(_ prefix: Data) -> Bool {
        guard prefix.count >= 9 else { return false }
        let length = prefix.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        return length > 1 && length < 100_000_000 && prefix[prefix.startIndex + 8] == UInt8(ascii: "{")
    }

    static func parse(_ data: Data, path: String) throws(WeightsError) -> (tensors: StateDict, metadata: [String: String]) {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw .malformed(path: path, reason: "shorter than the 8-byte header length") }
        let headerLength = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw .malformed(path: path, reason: "header length \(headerLength) exceeds the file")
        }
        let dataStart = 8 + Int(headerLength)
        let headerBytes = Data(bytes[8..<dataStart])
        guard let header = (try? JSONSerialization.jsonObject(with: headerBytes)) as? [String: Any] else {
            throw .malformed(path: path, reason: "the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: StateDict = [:]
        for (name, entry) in header {
            if name == "__metadata__" {
                guard let strings = entry as? [String: String] else {
                    throw .malformed(path: path, reason: "__metadata__ must map strings to strings")
                }
                metadata = strings
                continue
            }
            guard let info = entry as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offsets = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  offsets.count == 2, shape.allSatisfy({ $0 >= 0 })
            else { throw .malformed(path: path, reason: "bad entry for tensor \(name)") }
            let count = try elementCount(shape, tensor: name, path: path)
            guard let width = byteWidth(dtype) else { throw .unsupportedDataType(tensor: name, dtype: dtype) }
            let (start, end) = (offsets[0], offsets[1])
            guard start >= 0, end >= start, end <= bytes.count - dataStart, end - start == count * width else {
                throw .malformed(path: path, reason: "data offsets of \(name) do not match its shape and dtype")
            }
            let values = bytes.withUnsafeBytes { raw in
                decode(UnsafeRawBufferPointer(rebasing: raw[(dataStart + start)..<(dataStart + end)]), dtype: dtype, count: count)
            }
            tensors[name] = HostTensor(shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    static func elementCount(_ shape: [Int], tensor: String, path: String) throws(WeightsError) -> Int {
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product < 1 << 34 else { throw .malformed(path: path, reason: "tensor \(tensor) is impossibly large") }
            count = product
        }
        return count
    }

    static func byteWidth(_ dtype: String) -> Int? {
        switch dtype {
        case "F32": 4
        case "F16", "BF16": 2
        case "I64", "F64": 8
        default: nil
        }
    }

    /// Little-endian values of a supported dtype as float32.
    static func decode(_ raw: UnsafeRawBufferPointer, dtype: String, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            for index in 0..<count {
                switch dtype {
                case "F32":
                    out[index] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
                case "F16":
                    out[index] = halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
                case "BF16":
                    out[index] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))) << 16)
                case "F64":
                    out[index] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))))
                default:  // I64
                    out[index] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: Int64.self)))
                }
            }
            initialized = count
        }
    }

    /// IEEE 754 binary16 to float32, subnormals, infinities and NaN included.
    static func halfToFloat(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}
