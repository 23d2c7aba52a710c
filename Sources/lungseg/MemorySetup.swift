import CMalloc
import Foundation

/// Large arrays from the heap rather than each from a mapping of its own. glibc maps every
/// allocation above its threshold (128 KB, raised to at most 32 MB as such blocks are freed) fresh
/// from the kernel and unmaps it when it is freed, so each of the pipeline's crop-sized arrays
/// (many per CT, tens to hundreds of MB each) was faulted in again page by page: on the 512x512x300
/// CT a fifth of the main thread's time went to the kernel's page faults. From the heap, a freed
/// array's memory is reused by the next one (docs/BENCHMARKS.md: 2.1 -> 1.9 s, peak memory within
/// 1 %). A user's own malloc settings (`GLIBC_TUNABLES` with `glibc.malloc`, or
/// `MALLOC_MMAP_THRESHOLD_`) are left as they are.
enum MemorySetup {
    static func useHeapForLargeArrays() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["MALLOC_MMAP_THRESHOLD_"] == nil, !(environment["GLIBC_TUNABLES"] ?? "").contains("glibc.malloc") else { return }
        _ = cmalloc_use_heap_for_large_arrays()
    }
}
