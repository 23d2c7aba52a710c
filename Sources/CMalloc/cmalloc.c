#include "CMalloc.h"
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

int cmalloc_use_heap_for_large_arrays(void) {
#ifdef __GLIBC__
    return mallopt(M_MMAP_THRESHOLD, INT_MAX);
#else
    return 0;
#endif
}
