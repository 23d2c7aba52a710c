#ifndef CNIFTI_H
#define CNIFTI_H
// libnifti2 (NIfTI-1 and NIfTI-2 through one API). Never include nifti1_io.h beside it: the two
// share symbol names with different layouts.
#include <nifti/nifti2_io.h>
#include <stdint.h>

/// Silences libnifti's own messages on stderr; lungseg reports typed errors instead.
void cnifti_silence(void);

/// Decompresses a whole gzip file and returns its length in bytes, or -1 when the stream is
/// damaged or ends before its trailer (a file cut short).
int64_t cnifti_gzip_decompressed_length(const char *path);
#endif
