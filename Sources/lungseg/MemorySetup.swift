import CAllocator

/// How the command line asks glibc's allocator for memory. The pipeline makes and frees many
/// volume-sized arrays (tens to hundreds of MB each); glibc serves every allocation above 32 MB
/// with its own `mmap` and returns it with `munmap` when freed, so each new array is zeroed page
/// by page by the kernel again (on the 512x512x300 synthetic CT a third of the run was page
/// faults). Served from the heap instead, a freed array's pages are reused by the next one:
/// measured 0.3-0.5 s of 4.2 s and half the system time on that CT, with the same peak memory
/// (docs/BENCHMARKS.md). A process setting, so the command line makes it, not the library.
enum MemorySetup {
    static func reuseFreedMemory() {
        _ = callocator_reuse_freed_memory()
    }
}
