import Foundation

/// Outputs are written to a temporary file in the target folder and renamed over the target only
/// when complete: a failure never leaves a partial file and never touches an existing one.
struct AtomicOutput {
    let target: String
    /// Where to write first: `.<name>.partial-<host>-<pid>-<UUID><suffix>` beside the target (the
    /// suffix keeps extensions such as `.nii.gz` that decide the format; host and process say
    /// whose it is, so that only a dead process's leftovers are ever cleaned up).
    let temporary: String

    init(_ target: String, keepingSuffix suffix: String = "") {
        self.target = target
        let url = URL(fileURLWithPath: target)
        let stem = Self.stem(of: url.lastPathComponent, suffix: suffix)
        let owner = "\(Self.host)-\(getpid())"
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(stem).partial-\(owner)-\(UUID().uuidString)\(suffix)").path
    }

    static func stem(of name: String, suffix: String) -> String { suffix.isEmpty ? name : String(name.dropLast(suffix.count)) }

    /// This machine's name as it goes into temporary names (no dashes or slashes).
    static let host: String = {
        let name = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }()

    /// Renames the temporary file over the target; on failure removes it and returns why.
    func commit() -> String? {
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            return reason
        }
        return nil
    }

    /// Removes the temporary file (after a failed write).
    func discard() { unlink(temporary) }

    /// Removes temporary files that earlier runs left for `target` (killed before they could
    /// clean up): those of this host whose process is gone, and those of any host older than a
    /// day. The temporary files of a run still going are never touched. Returns the names removed.
    @discardableResult
    static func removeLeftovers(of target: String, keepingSuffix suffix: String = "") -> [String] {
        let url = URL(fileURLWithPath: target)
        let folder = url.deletingLastPathComponent().path
        let prefix = ".\(stem(of: url.lastPathComponent, suffix: suffix)).partial-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var removed: [String] = []
        for entry in entries where entry.hasPrefix(prefix) && entry.hasSuffix(suffix) {
            let owner = entry.dropFirst(prefix.count).split(separator: "-", maxSplits: 2)
            let path = URL(fileURLWithPath: folder).appendingPathComponent(entry).path
            let dead: Bool
            if owner.count == 3, String(owner[0]) == host, let pid = Int32(owner[1]) {
                dead = pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH
            } else {
                let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
                dead = Date().timeIntervalSince(modified) > 86_400
            }
            if dead && unlink(path) == 0 { removed.append(entry) }
        }
        return removed
    }
}

/// Several outputs written as one: each goes to its temporary file, and only when every one is
/// complete are they renamed over their targets. A failure before that removes every temporary
/// file and leaves every target as it was.
public final class OutputTransaction {
    private var staged: [AtomicOutput] = []

    public init() {}

    /// A temporary file for `target`, committed with the others.
    func stage(_ target: String, keepingSuffix suffix: String = "") -> AtomicOutput {
        AtomicOutput.removeLeftovers(of: target, keepingSuffix: suffix)
        let output = AtomicOutput(target, keepingSuffix: suffix)
        staged.append(output)
        return output
    }

    /// Renames every staged file over its target, in order.
    public func commit() throws(NIfTIError) {
        for (position, output) in staged.enumerated() {
            if let reason = output.commit() {
                for later in staged[(position + 1)...] { later.discard() }
                staged = []
                throw .writeFailed(path: output.target, reason: reason)
            }
        }
        staged = []
    }

    /// Removes every staged file.
    public func discard() {
        for output in staged { output.discard() }
        staged = []
    }

    deinit { discard() }
}

/// Writes bytes atomically (see `AtomicOutput`); with a transaction, staged until it commits.
public func writeAtomically(_ data: Data, to path: String, in transaction: OutputTransaction? = nil) throws(NIfTIError) {
    let output = transaction?.stage(path) ?? AtomicOutput(path)
    do {
        try data.write(to: URL(fileURLWithPath: output.temporary))
    } catch {
        output.discard()
        throw .writeFailed(path: path, reason: error.localizedDescription)
    }
    if transaction == nil, let reason = output.commit() { throw .writeFailed(path: path, reason: reason) }
}
