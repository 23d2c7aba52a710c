#include "CNIfTI.h"
#include <stdlib.h>
#include <zlib.h>

void cnifti_silence(void) { nifti_set_debug_level(0); }

int64_t cnifti_gzip_decompressed_length(const char *path) {
    gzFile file = gzopen(path, "rb");
    if (file == NULL) return -1;
    enum { bufferSize = 1 << 16 };
    unsigned char *buffer = malloc(bufferSize);
    if (buffer == NULL) { gzclose_r(file); return -1; }
    int64_t total = 0;
    int count;
    while ((count = gzread(file, buffer, bufferSize)) > 0) total += count;
    int error = Z_OK;
    gzerror(file, &error);
    gzclose_r(file);
    free(buffer);
    // zlib reports a stream that stops before its trailer as Z_BUF_ERROR.
    if (count < 0 || (error != Z_OK && error != Z_STREAM_END)) return -1;
    return total;
}
