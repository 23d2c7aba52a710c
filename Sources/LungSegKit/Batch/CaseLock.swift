import Foundation

/// An exclusive claim on one case while a process works on it (`flock` on
/// `OUTPUT/status/locks/NAME.lock`), so that two batch processes on the same shard share the cases
/// instead of both doing each. The lock file also says when the case was last finished, so that
/// a process that waited for the claim does not redo a case finished after it made its list.
public final class CaseLock {
    private let descriptor: Int32
    public let path: String

    /// The claim on `name`, or nil when another process holds it (or the lock cannot be made).
    public static func acquire(outputFolder: String, name: String) -> CaseLock? {
        let folder = URL(fileURLWithPath: outputFolder).appendingPathComponent("status/locks").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = URL(fileURLWithPath: folder).appendingPathComponent("\(name).lock").path
        let descriptor = open(path, O_RDWR | O_CREAT, 0o644)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return CaseLock(descriptor: descriptor, path: path)
    }

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Whether a process finished this case after `date`.
    public func finished(after date: Date) -> Bool {
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_size > 0 else { return false }
        return Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) * 1e-9) > date
    }

    /// Records that the case was finished now.
    public func markFinished() {
        let line = Array("finished \(ISO8601DateFormatter().string(from: Date())) by \(ProcessInfo.processInfo.hostName) \(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, line, line.count, 0)
        _ = fsync(descriptor)
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
