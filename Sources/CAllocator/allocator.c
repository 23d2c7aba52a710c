#include "CAllocator.h"

#include <stdlib.h> /* defines __GLIBC__ on glibc */
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int callocator_reuse_freed_memory(void) {
#if defined(__GLIBC__)
    /* No mmap per large allocation, and freed memory at the top of the heap kept (up to 1 GiB)
       rather than handed back and faulted in again by the next volume. */
    return mallopt(M_MMAP_MAX, 0) && mallopt(M_TRIM_THRESHOLD, 1 << 30);
#else
    return 0;
#endif
}
