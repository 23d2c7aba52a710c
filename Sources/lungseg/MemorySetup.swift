import CMalloc
import Foundation

/// Arrays up to 256 MB from glibc's heap rather than each from a mapping of its own. glibc maps
/// every allocation above its threshold (128 KB, raised to at most 32 MB as such blocks are freed)
/// fresh from the kernel and unmaps it when it is freed, so each of the pipeline's crop-sized
/// arrays (many per CT, tens to hundreds of MB) was faulted in again page by page: on the
/// 512x512x300 CT a fifth of the main thread's time went to the kernel's page faults. From the
/// heap, a freed array's memory is reused by the next one. Measured (docs/BENCHMARKS.md): the
/// 512x512x300 stub run 2.12 -> 1.95 s with peak memory 733 -> 707 MB; 512x512x600 3.68 -> 3.44 s,
/// 1.36 -> 1.38 GB; a real CT on the CPU backend no faster, its peak 0.89 -> 0.98 GB (the network's
/// buffers stay in the heap). Larger arrays (the float copy of a big input) are still mapped, so
/// that their memory goes back when they are freed: 2 GB was a little faster still (1.89 s) but
/// raised the 600-slice peak to 1.49 GB; 512 MB measured as 256 MB in memory and no faster; from
/// 64 MB down the time gain shrank and below it was gone. A user's own malloc settings (`GLIBC_TUNABLES` with
/// `glibc.malloc`, or `MALLOC_MMAP_THRESHOLD_`) are left as they are.
enum MemorySetup {
    static let heapLimitBytes: Int32 = 256 << 20

    static func useHeapForLargeArrays() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["MALLOC_MMAP_THRESHOLD_"] == nil, !(environment["GLIBC_TUNABLES"] ?? "").contains("glibc.malloc") else { return }
        _ = cmalloc_use_heap_below(heapLimitBytes)
    }
}
