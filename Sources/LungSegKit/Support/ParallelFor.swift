import Foundation

/// The one parallel loop of the pipeline: a range cut into contiguous chunks, run on up to
/// `threadCount` threads. Each chunk writes only its own part of the output, so the result is the
/// same at any thread count (tests check 1, 2 and 7).
public enum ParallelFor {
    /// Threads the pipeline's loops use: all cores unless a caller binds another count
    /// (`ParallelFor.$threadCount.withValue(1) { ... }`), for this task and what it calls.
    @TaskLocal public static var threadCount = ProcessInfo.processInfo.activeProcessorCount

    /// Runs `body` on consecutive pieces of `range`, each at least `minimumChunk` long, in parallel.
    public static func run(_ range: Range<Int>, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let threads = max(1, threadCount)
        let chunks = min(threads, max(1, range.count / max(1, minimumChunk)))
        guard chunks > 1 else {
            if !range.isEmpty { body(range) }
            return
        }
        let size = (range.count + chunks - 1) / chunks
        withoutActuallyEscaping(body) { body in
            let shared = SharedBody(run: body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = range.lowerBound + chunk * size
                let end = min(start + size, range.upperBound)
                if start < end { shared.run(start..<end) }
            }
        }
    }

    /// The loop body, shared by the worker threads. Unchecked: the callers' bodies write disjoint
    /// parts of their outputs (their chunk) and only read what they share, which the compiler
    /// cannot see through the unsafe buffers they use.
    private struct SharedBody: @unchecked Sendable {
        let run: (Range<Int>) -> Void
    }
}
