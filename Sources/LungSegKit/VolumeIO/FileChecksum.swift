import COpenSSL
import Foundation

/// SHA-256 of an input, to tell whether a finished case's input changed since (batch mode).
public enum FileChecksum {
    /// `sha256:HEX` of a file's bytes; for a folder (a DICOM series), of every regular file in it
    /// (recursively, sorted by relative path), each as its relative path, a NUL byte and its bytes.
    public static func sha256(of path: String) throws -> String {
        let digest = try sha256 { context in try feed(path, into: context) }
        return "sha256:" + digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The 32 bytes of SHA-256 of `data`; nil when libcrypto fails.
    static func sha256Digest(of data: Data) -> [UInt8]? {
        try? sha256 { context in data.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) } }
    }

    /// SHA-256 of what `feed` passes to the digest context.
    private static func sha256(_ feed: (OpaquePointer) throws -> Void) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw ChecksumError.unavailable }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else { throw ChecksumError.unavailable }
        try feed(context)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1 else { throw ChecksumError.unavailable }
        return Array(digest.prefix(Int(length)))
    }

    /// A file's bytes; for a folder, every regular file's relative path, a NUL byte and its bytes.
    private static func feed(_ path: String, into context: OpaquePointer) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ChecksumError.unreadable(path) }
        if isDirectory.boolValue {
            let root = URL(fileURLWithPath: path)
            guard let enumerator = FileManager.default.enumerator(atPath: path) else { throw ChecksumError.unreadable(path) }
            var files: [String] = []
            while let relative = enumerator.nextObject() as? String {
                var isFolder: ObjCBool = false
                let full = root.appendingPathComponent(relative).path
                if FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue { files.append(relative) }
            }
            for relative in files.sorted() {
                update(context, Array(relative.utf8) + [0])
                try digestFile(root.appendingPathComponent(relative).path, into: context)
            }
        } else {
            try digestFile(path, into: context)
        }
    }

    private static func update(_ context: OpaquePointer, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
    }

    private static func digestFile(_ path: String, into context: OpaquePointer) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ChecksumError.unreadable(path) }
        defer { try? handle.close() }
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch { throw ChecksumError.unreadable(path) }
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }
    }
}

/// Why a checksum could not be computed.
public enum ChecksumError: Error, Equatable, CustomStringConvertible {
    case unreadable(String)
    case unavailable

    public var description: String {
        switch self {
        case .unreadable(let path): "cannot read \(path) to compute its checksum"
        case .unavailable: "SHA-256 is unavailable (OpenSSL's libcrypto failed)"
        }
    }
}
