import Foundation

/// Why a `.npy` file could not be read or written.
public enum NumPyError: Error, Equatable, Sendable, CustomStringConvertible {
    case fileNotFound(path: String)
    case notNumPy(path: String)
    case unsupported(path: String, reason: String)
    case truncated(path: String, expected: Int, actual: Int)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path): "\(path): no such file"
        case .notNumPy(let path): "\(path): not a NumPy .npy file"
        case .unsupported(let path, let reason): "\(path): \(reason)"
        case .truncated(let path, let expected, let actual): "\(path): holds \(actual) data bytes, the header promises \(expected)"
        case .writeFailed(let path, let reason): "\(path): could not be written (\(reason))"
        }
    }
}

/// A float32 array in NumPy's `.npy` format (C order), the exchange format of `lungseg forward`.
public struct NumPyArray: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count)
        self.shape = shape
        self.values = values
    }

    /// Reads little-endian float32 (`<f4`) or float64 (`<f8`, converted) arrays in C order.
    public static func read(_ path: String) throws(NumPyError) -> NumPyArray {
        guard let data = FileManager.default.contents(atPath: path) else { throw .fileNotFound(path: path) }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Array(bytes[0..<6]) == [0x93] + Array("NUMPY".utf8) else { throw .notNumPy(path: path) }
        let major = bytes[6]
        let (headerLength, headerStart): (Int, Int)
        switch major {
        case 1: (headerLength, headerStart) = (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
        case 2, 3:
            guard bytes.count >= 12 else { throw .notNumPy(path: path) }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default: throw .unsupported(path: path, reason: "NumPy format version \(major)")
        }
        guard headerStart + headerLength <= bytes.count else { throw .notNumPy(path: path) }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard let descr = field("descr", in: header) else { throw .notNumPy(path: path) }
        let width: Int
        switch descr {
        case "'<f4'": width = 4
        case "'<f8'": width = 8
        default: throw .unsupported(path: path, reason: "dtype \(descr); lungseg reads little-endian float32 or float64")
        }
        guard field("fortran_order", in: header) == "False" else { throw .unsupported(path: path, reason: "Fortran-order arrays") }
        guard let shapeText = field("shape", in: header) else { throw .notNumPy(path: path) }
        let shape = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "()"))
            .split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .notNumPy(path: path) }
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product < 1 << 33 else { throw .unsupported(path: path, reason: "array too large") }
            count = product
        }
        let dataStart = headerStart + headerLength
        guard bytes.count - dataStart >= count * width else {
            throw .truncated(path: path, expected: count * width, actual: bytes.count - dataStart)
        }
        let values = bytes.withUnsafeBytes { raw in
            (0..<count).map { index -> Float in
                width == 4
                    ? Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + index * 4, as: UInt32.self)))
                    : Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + index * 8, as: UInt64.self))))
            }
        }
        return NumPyArray(shape: shape, values: values)
    }

    /// The text of `'key': value` in a NumPy header dict (values here never contain "'" pairs or nested braces).
    private static func field(_ key: String, in header: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)':") else { return nil }
        let rest = header[keyRange.upperBound...].drop(while: \.isWhitespace)
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        let end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) ?? rest.endIndex
        return String(rest[..<end]).trimmingCharacters(in: .whitespaces)
    }

    /// Writes NumPy format 1.0, `<f4`, C order, atomically (temporary file, then rename).
    public func write(to path: String) throws(NumPyError) {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad so that the data start at a multiple of 64 bytes; the header ends with a newline.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = header.utf8.count
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        values.withUnsafeBytes { raw in bytes += raw }
        let output = AtomicOutput(path)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: output.temporary))
        } catch {
            output.discard()
            throw .writeFailed(path: path, reason: error.localizedDescription)
        }
        if let reason = output.commit() { throw .writeFailed(path: path, reason: reason) }
    }
}
