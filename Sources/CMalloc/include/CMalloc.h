#ifndef CMALLOC_H
#define CMALLOC_H

/// Makes glibc serve allocations below `bytes` from its heap instead of a fresh mapping each
/// (`mallopt(M_MMAP_THRESHOLD, bytes)`; lungseg's `MemorySetup` says why). Returns 1 when glibc
/// took it, 0 otherwise (and on C libraries without `mallopt`).
int cmalloc_use_heap_below(int bytes);
#endif
