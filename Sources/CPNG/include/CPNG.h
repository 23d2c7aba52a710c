#ifndef CPNG_H
#define CPNG_H
#include <stdint.h>

/// Writes an 8-bit RGB image (rows top to bottom, 3 bytes a pixel) as PNG through libpng.
/// libpng reports errors by longjmp, which Swift cannot catch; this wrapper turns them into a
/// return value. Returns 0 on success, -1 when the file cannot be opened, -2 on a libpng error.
int cpng_write_rgb(const char *path, const uint8_t *rgb, int width, int height);
#endif
