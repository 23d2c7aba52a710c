import Foundation

/// Outputs are written to a temporary file in the target folder and renamed over the target only
/// when complete: a failure never leaves a partial file and never touches an existing one.
struct AtomicOutput {
    let target: String
    /// Where to write first: `.<name>.partial-<UUID><suffix>` beside the target (the suffix keeps
    /// extensions such as `.nii.gz` that decide the format).
    let temporary: String

    init(_ target: String, keepingSuffix suffix: String = "") {
        self.target = target
        let url = URL(fileURLWithPath: target)
        let name = url.lastPathComponent
        let stem = suffix.isEmpty ? name : String(name.dropLast(suffix.count))
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(stem).partial-\(UUID().uuidString)\(suffix)").path
    }

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
}

/// Writes bytes atomically (see `AtomicOutput`).
public func writeAtomically(_ data: Data, to path: String) throws(NIfTIError) {
    let output = AtomicOutput(path)
    do {
        try data.write(to: URL(fileURLWithPath: output.temporary))
    } catch {
        output.discard()
        throw .writeFailed(path: path, reason: error.localizedDescription)
    }
    if let reason = output.commit() { throw .writeFailed(path: path, reason: reason) }
}
