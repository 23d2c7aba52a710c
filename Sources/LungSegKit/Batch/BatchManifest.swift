import Foundation

/// The cases of a batch, from a CSV manifest or a folder, in a deterministic order (by name).
public enum BatchManifest {
    /// A CSV manifest: one case per line, `input[,output name[,series]]` (series: which DICOM
    /// series of a folder, as `segment --series` takes it); an optional header line whose
    /// first field is `input`; blank lines and lines starting with `#` skipped; relative inputs
    /// are relative to the manifest's folder. Fields may be double-quoted (`""` for a quote).
    /// Lines may end in LF or CRLF, and a UTF-8 byte-order mark is skipped. An output name must be
    /// a plain, non-empty file name (an input named `.nii.gz` has none: give one).
    public static func read(manifest path: String) throws(BatchInputError) -> [BatchCase] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .unreadableManifest(path: path, reason: error.localizedDescription)
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        var cases: [BatchCase] = []
        // Windows and Excel write CRLF (one Character in Swift, so split on any newline) and a BOM.
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        for (offset, rawLine) in body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields: [String]
            do { fields = try csvFields(line) } catch { throw .badManifestLine(path: path, line: offset + 1, reason: "unbalanced quotes") }
            if cases.isEmpty, fields.first?.lowercased() == "input" { continue }
            guard (1...3).contains(fields.count), let input = fields.first, !input.isEmpty else {
                throw .badManifestLine(path: path, line: offset + 1, reason: "expected `input[,output name[,series]]`")
            }
            let resolved = input.hasPrefix("/") ? input : base.appendingPathComponent(input).standardized.path
            let name = fields.count >= 2 && !fields[1].isEmpty ? fields[1] : BatchCase.defaultName(for: input)
            let series = fields.count == 3 && !fields[2].isEmpty ? fields[2] : nil
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                throw .badManifestLine(path: path, line: offset + 1, reason: "output name \(name) must be a plain file name")
            }
            cases.append(BatchCase(input: resolved, name: name, series: series))
        }
        return try checked(cases, source: path)
    }

    /// Every NIfTI file (`.nii`, `.nii.gz`, `.hdr`) and every subfolder (a DICOM series) directly
    /// in `folder`; hidden entries skipped.
    public static func read(folder: String) throws(BatchInputError) -> [BatchCase] {
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: folder) } catch { throw .unreadableFolder(folder) }
        var cases: [BatchCase] = []
        for entry in entries where !entry.hasPrefix(".") {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(entry).path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let lower = entry.lowercased()
            let name = BatchCase.defaultName(for: path)
            if !name.isEmpty && (isDirectory.boolValue || lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz") || lower.hasSuffix(".hdr") || lower.hasSuffix(".hdr.gz")) {
                cases.append(BatchCase(input: path, name: name))
            }
        }
        return try checked(cases, source: folder)
    }

    private static func checked(_ cases: [BatchCase], source: String) throws(BatchInputError) -> [BatchCase] {
        guard !cases.isEmpty else { throw .noCases(source) }
        let counts = Dictionary(grouping: cases, by: \.name).filter { $0.value.count > 1 }
        guard counts.isEmpty else { throw .duplicateNames(counts.keys.sorted()) }
        return cases.sorted { $0.name < $1.name }
    }

    struct UnbalancedQuotes: Error {}

    /// Splits one CSV line (RFC 4180 quoting, no embedded newlines).
    static func csvFields(_ line: String) throws(UnbalancedQuotes) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" {
                        current.append("\"")
                        characters.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        guard !quoted else { throw UnbalancedQuotes() }
        fields.append(current.trimmingCharacters(in: .whitespaces))
        return fields
    }
}
