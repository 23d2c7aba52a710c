import Synchronization
import Testing
@testable import AHNetCPU

@Suite("CPU backend work sharing")
struct ParallelForTests {
    /// Every index runs exactly once, on a worker below min(threads, count), whatever the count.
    @Test(arguments: [(threads: 2, count: 1), (threads: 2, count: 2), (threads: 2, count: 1_001), (threads: 3, count: 7), (threads: 1, count: 5)])
    func everyIndexRunsOnceOnAValidWorker(threads: Int, count: Int) {
        let backend = CPUBackend(threads: threads)
        let visits = Mutex<[Int]>(Array(repeating: 0, count: count))
        let workersSeen = Mutex<Set<Int>>([])
        backend.parallelFor(count) { index, worker in
            visits.withLock { $0[index] += 1 }
            workersSeen.withLock { _ = $0.insert(worker) }
        }
        #expect(visits.withLock { $0 } == Array(repeating: 1, count: count))
        #expect(workersSeen.withLock { $0 }.allSatisfy { $0 >= 0 && $0 < min(threads, count) })
    }
}
