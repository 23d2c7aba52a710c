import Foundation

/// Checks on where outputs go, made before any work: that no output is an input or another output
/// (after symlinks), and that every output's folder exists and is writable.
public enum OutputPaths {
    /// The path with every symlink resolved; for a file that does not exist yet, its folder's.
    public static func canonical(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if let resolved = realpath(url.path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        let folder = url.deletingLastPathComponent().path
        guard let resolved = realpath(folder, nil) else { return url.path }
        defer { free(resolved) }
        return URL(fileURLWithPath: String(cString: resolved)).appendingPathComponent(url.lastPathComponent).path
    }

    /// The files an input is read from: the file, and for ANALYZE pairs both halves.
    public static func inputFiles(_ input: String) -> [String] {
        var files = [input]
        for (one, other) in [(".hdr", ".img"), (".img", ".hdr"), (".hdr.gz", ".img.gz"), (".img.gz", ".hdr.gz")] where input.hasSuffix(one) {
            files.append(String(input.dropLast(one.count)) + other)
        }
        return files
    }

    /// Why these outputs cannot be written for this input (an output that is an input, or two
    /// outputs that are one file), or nil.
    public static func collision(input: String, outputs: [(option: String, path: String)]) -> String? {
        let inputs = Set(inputFiles(input).map(canonical))
        var seen: [String: String] = [:]
        for (option, path) in outputs {
            let resolved = canonical(path)
            if inputs.contains(resolved) { return "\(option) \(path) is the input \(input): it would be overwritten" }
            if let other = seen[resolved] { return "\(option) \(path) and \(other) are the same file" }
            seen[resolved] = "\(option) \(path)"
        }
        return nil
    }

    /// Why an output cannot go to `path` (its folder missing or not writable, or a folder in its
    /// place), or nil.
    public static func unwritableFolder(for path: String) -> String? {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "folder \(folder) does not exist"
        }
        guard access(folder, W_OK) == 0 else { return "folder \(folder) is not writable" }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "\(path) is a folder"
        }
        return nil
    }
}
