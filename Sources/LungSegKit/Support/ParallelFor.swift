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

extension ParallelFor {
    /// Runs `body` on consecutive pieces of `range` in parallel, each piece with its own
    /// accumulator (`initial()`), and combines the accumulators in the pieces' order. The result
    /// is the same at any thread count when `combine` does not depend on how the range was cut
    /// (integer counts added, flags or-ed): use it for those, not for floating-point sums.
    public static func reduce<Accumulator>(_ range: Range<Int>, minimumChunk: Int = 1, initial: () -> Accumulator,
                                           _ body: (Range<Int>, inout Accumulator) -> Void,
                                           combine: (inout Accumulator, Accumulator) -> Void) -> Accumulator {
        let threads = max(1, threadCount)
        let chunks = min(threads, max(1, range.count / max(1, minimumChunk)))
        let size = (range.count + chunks - 1) / max(chunks, 1)
        let slots = UnsafeMutableBufferPointer<Accumulator>.allocate(capacity: chunks)
        _ = slots.initialize(from: (0..<chunks).map { _ in initial() })
        defer {
            slots.deinitialize()
            slots.deallocate()
        }
        // Piece c is range.lowerBound + c * size ..< +size: each piece writes only its own slot.
        run(0..<chunks) { pieces in
            for chunk in pieces {
                let start = range.lowerBound + chunk * size
                let end = min(start + size, range.upperBound)
                if start < end { body(start..<end, &slots[chunk]) }
            }
        }
        var result = slots[0]
        for chunk in 1..<chunks { combine(&result, slots[chunk]) }
        return result
    }
}
