import Foundation

/// A value computed on another thread while this one does something else: the command line
/// loads the model while it reads the CT, a batch reads and prepares the next case while the
/// current one runs on the backend.
public final class BackgroundResult<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Written once by the worker before `done` is signalled, read only after waiting on it.
    private var result: Result<Value, any Error>?

    /// Starts `work` on a global queue, with the caller's `ParallelFor.threadCount` (a task-local
    /// value a queue does not carry by itself: `--threads` must bind the background work too).
    public init(_ work: @escaping @Sendable () throws -> Value) {
        let threads = ParallelFor.threadCount
        DispatchQueue.global().async {
            self.result = ParallelFor.$threadCount.withValue(threads) { Result { try work() } }
            self.done.signal()
        }
    }

    /// Waits for the value; rethrows the worker's error.
    public func value() throws -> Value {
        done.wait()
        done.signal()
        guard let result else { throw BackgroundWorkLost() }
        return try result.get()
    }
}

private struct BackgroundWorkLost: Error, CustomStringConvertible {
    var description: String { "the background work produced no result" }
}
