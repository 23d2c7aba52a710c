import CMalloc
import Testing
@testable import lungseg

/// The command line's heap setting reaches glibc (a C shim that did not see glibc's headers
/// would quietly do nothing, and every large array would be mapped and faulted in again).
@Suite("Memory setup")
struct MemorySetupTests {
    @Test func glibcTakesTheHeapLimit() {
        #if os(Linux)
        #expect(cmalloc_use_heap_below(MemorySetup.heapLimitBytes) == 1)
        #endif
    }
}
