#ifndef CALLOCATOR_H
#define CALLOCATOR_H

/// Asks glibc's malloc to serve large allocations from its heap instead of one mmap each, so
/// that freed volume-sized arrays are reused without the kernel zeroing their pages again, and to
/// keep up to 1 GiB of freed memory instead of handing it back between one array and the next.
/// Returns 1 when the setting was taken, 0 otherwise (or on a C library other than glibc).
int callocator_reuse_freed_memory(void);

#endif
