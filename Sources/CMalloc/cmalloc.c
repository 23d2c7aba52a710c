#include "CMalloc.h"
// Any C library header defines __GLIBC__ on glibc (through <features.h>); it must come first.
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

int cmalloc_use_heap_below(int bytes) {
#ifdef __GLIBC__
    return mallopt(M_MMAP_THRESHOLD, bytes);
#else
    (void)bytes;
    return 0;
#endif
}
