import Foundation

/// One line of a batch status file (JSON lines): what happened to one case in one run.
public struct BatchRecord: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        case ok
        case failed
        case timedOut = "timed out"
    }

    public var name: String
    public var input: String
    public var status: Outcome
    public var error: String?
    /// `sha256:...` of the input (see `FileChecksum`); nil when it could not be read.
    public var inputChecksum: String?
    /// Seconds per step: read, segment, write, total.
    public var seconds: [String: Double]
    public var rightLungML: Double?
    public var leftLungML: Double?
    public var totalLungML: Double?
    public var outputs: [String: String]
    public var backend: String?
    public var shard: String
    public var host: String
    /// ISO 8601, UTC.
    public var finished: String

    public init(
        name: String, input: String, status: Outcome, error: String? = nil, inputChecksum: String?, seconds: [String: Double],
        rightLungML: Double? = nil, leftLungML: Double? = nil, totalLungML: Double? = nil, outputs: [String: String] = [:],
        backend: String? = nil, shard: String, host: String, finished: String
    ) {
        self.name = name
        self.input = input
        self.status = status
        self.error = error
        self.inputChecksum = inputChecksum
        self.seconds = seconds
        self.rightLungML = rightLungML
        self.leftLungML = leftLungML
        self.totalLungML = totalLungML
        self.outputs = outputs
        self.backend = backend
        self.shard = shard
        self.host = host
        self.finished = finished
    }
}

/// The status folder of a batch (`OUTPUT/status/`): one JSON-lines file per shard, appended one
/// complete line per finished case, so that concurrent shards never write the same file and a
/// killed run loses at most the case it was working on.
public struct BatchStatusFolder: Sendable {
    public let path: String

    public init(outputFolder: String) {
        path = URL(fileURLWithPath: outputFolder).appendingPathComponent("status").path
    }

    public func file(for shard: Shard) -> String {
        URL(fileURLWithPath: path).appendingPathComponent("shard-\(shard.index)-of-\(shard.count).jsonl").path
    }

    /// Appends one record as one line (a single write of the whole line, then fsync).
    public func append(_ record: BatchRecord, shard: Shard) throws(NIfTIError) {
        let target = file(for: shard)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: path, reason: error.localizedDescription)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(record) else { throw .writeFailed(path: target, reason: "cannot encode the record") }
        line.append(0x0A)
        let descriptor = open(target, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard descriptor >= 0 else { throw .writeFailed(path: target, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(descriptor) == 0 else { throw .writeFailed(path: target, reason: String(cString: strerror(errno))) }
    }

    /// Every record in every status file, in file order; a torn last line (a killed writer) is skipped.
    public func records() -> [BatchRecord] {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        var records: [BatchRecord] = []
        for file in files.sorted() where file.hasSuffix(".jsonl") {
            guard let text = try? String(contentsOfFile: URL(fileURLWithPath: path).appendingPathComponent(file).path, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                if let record = try? decoder.decode(BatchRecord.self, from: Data(line.utf8)) { records.append(record) }
            }
        }
        return records
    }

    /// The latest record of each case (by `finished`, then file order).
    public func latest() -> [String: BatchRecord] {
        var latest: [String: BatchRecord] = [:]
        for record in records() {
            if let previous = latest[record.name], previous.finished > record.finished { continue }
            latest[record.name] = record
        }
        return latest
    }
}

/// The merged view of a batch: one row per case, as CSV.
public enum BatchSummary {
    public static let header = "case,status,total_lung_ml,right_lung_ml,left_lung_ml,seconds,input,error"

    /// Rows for `latest` records; cases named in `expected` without any record are listed as `missing`.
    public static func csv(latest: [String: BatchRecord], expected: [BatchCase]? = nil) -> String {
        var names = Set(latest.keys)
        if let expected { names.formUnion(expected.map(\.name)) }
        // One lookup per missing case (a dictionary, not a search of the list: 100,000 cases).
        let inputs = Dictionary((expected ?? []).map { ($0.name, $0.input) }, uniquingKeysWith: { first, _ in first })
        var lines = [header]
        for name in names.sorted() {
            guard let record = latest[name] else {
                let input = inputs[name] ?? ""
                lines.append([name, "missing", "", "", "", "", input, "no record in any status file"].map(field).joined(separator: ","))
                continue
            }
            let volumes = [record.totalLungML, record.rightLungML, record.leftLungML].map { $0.map { String(format: "%.1f", $0) } ?? "" }
            let seconds = record.seconds["total"].map { String(format: "%.1f", $0) } ?? ""
            lines.append(([name, record.status.rawValue] + volumes + [seconds, record.input, record.error ?? ""]).map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One CSV field: a text that a spreadsheet would run as a formula (starting with `=`, `+`,
    /// `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP recommends against CSV
    /// injection; quoted when it holds a comma, a quote, a newline or that prefix.
    static func field(_ value: String) -> String {
        let formula = value.first.map { "=+-@\t\r".contains($0) } ?? false
        let text = formula ? "'" + value : value
        guard formula || text.contains(",") || text.contains("\"") || text.contains("\n") else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
