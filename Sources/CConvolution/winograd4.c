#include "CConvolution.h"
#include <string.h>

// Products and sums stay separate operations in every clone (no fused multiply-add).
#pragma STDC FP_CONTRACT OFF

// Eight tiles side by side: lane t is tile th + t along H.
typedef float v8 __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));

#define INLINE static inline __attribute__((always_inline))
// An AVX2 build and a baseline one, picked when the program loads; one build elsewhere (ARM).
#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

// Eight-lane values pass through memory or macros, never by value: clang rejects AVX-sized
// arguments in the baseline clone.
#define LOAD8(p) ({ v8 loaded_; memcpy(&loaded_, (p), sizeof loaded_); loaded_; })
#define STORE8(p, v) do { v8 stored_ = (v); memcpy((p), &stored_, sizeof stored_); } while (0)
#define STORE4(p, v) do { v4 stored_ = (v); memcpy((p), &stored_, sizeof stored_); } while (0)
#define SPLAT(x) ((v8){(x), (x), (x), (x), (x), (x), (x), (x)})

/// `max(v * scale + shift, 0)` lane by lane in place, NaN kept (a masked select, as the Swift paths do).
INLINE void activate(v8 *v, float scale, float shift) {
    v8 x = *v * SPLAT(scale) + SPLAT(shift);
    v8i negative = x < SPLAT(0.0f);
    *v = (v8)((v8i)x & ~negative);
}

/// `Bᵀ x` of six values `x[0], x[in_step], ...` into `out[0], out[step], ...` (points 0, 1, -1, 2, -½:
/// WinogradF4's matrices).
INLINE void forward(const v8 *x, int in_step, v8 *out, int step) {
    v8 x0 = x[0], x1 = x[in_step], x2 = x[2 * in_step], x3 = x[3 * in_step], x4 = x[4 * in_step], x5 = x[5 * in_step];
    v8 outer = x4 - x2, inner = x3 - x1;
    out[0] = (x0 + x4) - SPLAT(2.0f) * x2 - SPLAT(1.5f) * inner;
    out[step] = (x4 - x1) - SPLAT(2.5f) * x2 - SPLAT(0.5f) * x3;
    out[2 * step] = (x4 + x1) + SPLAT(0.5f) * x2 - SPLAT(2.5f) * x3;
    out[3 * step] = outer + SPLAT(0.5f) * inner;
    out[4 * step] = outer - SPLAT(2.0f) * inner;
    out[5 * step] = (x1 + x5) - SPLAT(1.5f) * outer - SPLAT(2.0f) * x3;
}

/// `Aᵀ m` of six values `m[0], m[in_step], ...` into `out[0], out[step], ..., out[3 step]`.
INLINE void inverse(const v8 *m, int in_step, v8 *out, int step) {
    v8 m0 = m[0], m1 = m[in_step], m2 = m[2 * in_step], m3 = m[3 * in_step], m4 = m[4 * in_step], m5 = m[5 * in_step];
    v8 sum12 = m1 + m2, difference12 = m1 - m2;
    out[0] = m0 + sum12 + (m3 + m4);
    out[step] = difference12 + SPLAT(2.0f) * m3 - SPLAT(0.5f) * m4;
    out[2 * step] = sum12 + SPLAT(4.0f) * m3 + SPLAT(0.25f) * m4;
    out[3 * step] = difference12 + SPLAT(8.0f) * m3 - SPLAT(0.125f) * m4 + m5;
}

/// Length of each of the four phases of a padded line: whole groups of eight tiles plus the one
/// tile past the last.
static ptrdiff_t phase_length(ptrdiff_t size_h) {
    ptrdiff_t tiles_h = (size_h + 3) / 4;
    return (tiles_h + 7) / 8 * 8 + 8;
}

ptrdiff_t cwinograd4_line_scratch(ptrdiff_t size_h) { return 8 * 4 * phase_length(size_h); }

/// One input line into four phases: input h sits at padded position p = h + 1, stored at
/// `phases[(p % 4) * phase + p / 4]`, so that tile t reads positions 4t ..< 4t+6 as phases 0, 1,
/// 2, 3 at t and phases 0, 1 at t + 1, each lane contiguous.
INLINE void split(const float *values, ptrdiff_t count, const float *scale, float shift, float *phases, ptrdiff_t phase) {
    ptrdiff_t h = 0;
    for (; h + 16 <= count; h += 16) {
        v8 a = LOAD8(values + h), b = LOAD8(values + h + 8);
        if (scale) {
            activate(&a, *scale, shift);
            activate(&b, *scale, shift);
        }
        ptrdiff_t u = h / 4;
        STORE4(phases + phase + u, __builtin_shufflevector(a, b, 0, 4, 8, 12));
        STORE4(phases + 2 * phase + u, __builtin_shufflevector(a, b, 1, 5, 9, 13));
        STORE4(phases + 3 * phase + u, __builtin_shufflevector(a, b, 2, 6, 10, 14));
        STORE4(phases + u + 1, __builtin_shufflevector(a, b, 3, 7, 11, 15));
    }
    for (; h < count; h++) {
        float value = values[h];
        if (scale) {
            value = value * *scale + shift;
            if (value < 0) value = 0;
        }
        ptrdiff_t p = h + 1;
        phases[(p & 3) * phase + (p >> 2)] = value;
    }
}

INLINE void input(const float *plane, ptrdiff_t size_h, ptrdiff_t size_w, ptrdiff_t first_row, ptrdiff_t row_count,
                  const float *scale, float shift, float *transformed, ptrdiff_t stride, float *lines, ptrdiff_t next_plane) {
    ptrdiff_t tiles_h = (size_h + 3) / 4, tiles_w = (size_w + 3) / 4;
    ptrdiff_t phase = phase_length(size_h);
    // Neighbouring tile rows share two input lines: each of eight slots remembers which line it
    // holds (slice d, line w from -1 on, as one number).
    ptrdiff_t held[8];
    for (int slot = 0; slot < 8; slot++) held[slot] = -1;
    v8 rows[36];
    ptrdiff_t tile = 0;
    for (ptrdiff_t tile_row = first_row; tile_row < first_row + row_count; tile_row++) {
        ptrdiff_t d = tile_row / tiles_w;
        ptrdiff_t w0 = (tile_row - d * tiles_w) * 4 - 1;
        for (int line = 0; line < 6; line++) {
            ptrdiff_t w = w0 + line;
            int slot = (int)((w + 1) & 7);
            ptrdiff_t key = d * (size_w + 8) + w + 1;
            if (held[slot] == key) continue;
            held[slot] = key;
            float *phases = lines + slot * 4 * phase;
            memset(phases, 0, (size_t)(4 * phase) * sizeof(float));
            if (w < 0 || w >= size_w) continue;
            const float *values = plane + (d * size_w + w) * size_h;
            if (next_plane) {
                for (ptrdiff_t h = 0; h < size_h; h += 16) __builtin_prefetch(values + next_plane + h, 0, 3);
            }
            split(values, size_h, scale, shift, phases, phase);
        }
        for (ptrdiff_t th = 0; th < tiles_h; th += 8) {
            // Along H first (d B, line by line), then along W (Bᵀ of each column).
            for (int line = 0; line < 6; line++) {
                const float *at = lines + ((w0 + 1 + line) & 7) * 4 * phase + th;
                v8 x[6] = {LOAD8(at), LOAD8(at + phase), LOAD8(at + 2 * phase), LOAD8(at + 3 * phase), LOAD8(at + 1),
                           LOAD8(at + phase + 1)};
                forward(x, 1, rows + line * 6, 1);
            }
            float *out = transformed + tile + th;
            for (int k = 0; k < 6; k++) {
                v8 v[6];
                forward(rows + k, 6, v, 1);
                for (int i = 0; i < 6; i++) STORE8(out + (6 * i + k) * stride, v[i]);
            }
        }
        tile += tiles_h;
    }
}

/// `(a0, b0, c0, d0, a1, ..., d7)` of `y = {a, b, c, d}` into 32 contiguous floats.
INLINE void store_interleaved(float *p, const v8 *y) {
    v8 a = y[0], b = y[1], c = y[2], d = y[3];
    v8 ab_low = __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11);
    v8 ab_high = __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
    v8 cd_low = __builtin_shufflevector(c, d, 0, 8, 1, 9, 2, 10, 3, 11);
    v8 cd_high = __builtin_shufflevector(c, d, 4, 12, 5, 13, 6, 14, 7, 15);
    STORE8(p, __builtin_shufflevector(ab_low, cd_low, 0, 1, 8, 9, 2, 3, 10, 11));
    STORE8(p + 8, __builtin_shufflevector(ab_low, cd_low, 4, 5, 12, 13, 6, 7, 14, 15));
    STORE8(p + 16, __builtin_shufflevector(ab_high, cd_high, 0, 1, 8, 9, 2, 3, 10, 11));
    STORE8(p + 24, __builtin_shufflevector(ab_high, cd_high, 4, 5, 12, 13, 6, 7, 14, 15));
}

INLINE void output(const float *products, ptrdiff_t stride, ptrdiff_t first_row, ptrdiff_t row_count, float *plane,
                   ptrdiff_t size_h, ptrdiff_t size_w) {
    ptrdiff_t tiles_h = (size_h + 3) / 4, tiles_w = (size_w + 3) / 4;
    v8 rows[24];
    ptrdiff_t tile = 0;
    for (ptrdiff_t tile_row = first_row; tile_row < first_row + row_count; tile_row++) {
        ptrdiff_t d = tile_row / tiles_w;
        ptrdiff_t w = (tile_row - d * tiles_w) * 4;
        int lines = size_w - w < 4 ? (int)(size_w - w) : 4;
        for (ptrdiff_t th = 0; th < tiles_h; th += 8) {
            const float *m = products + tile + th;
            // Along W first (Aᵀ of each column), then along H (each row times A).
            for (int k = 0; k < 6; k++) {
                v8 column[6] = {LOAD8(m + k * stride), LOAD8(m + (6 + k) * stride), LOAD8(m + (12 + k) * stride),
                                LOAD8(m + (18 + k) * stride), LOAD8(m + (24 + k) * stride), LOAD8(m + (30 + k) * stride)};
                inverse(column, 1, rows + k, 6);
            }
            int lanes = tiles_h - th < 8 ? (int)(tiles_h - th) : 8;
            int whole = lanes == 8 && 4 * (th + 8) <= size_h;
            for (int r = 0; r < lines; r++) {
                v8 y[4];
                inverse(rows + 6 * r, 1, y, 1);
                float *line = plane + (d * size_w + w + r) * size_h;
                if (whole) {
                    store_interleaved(line + 4 * th, y);
                    continue;
                }
                float values[4][8];
                memcpy(values, y, sizeof values);
                for (int lane = 0; lane < lanes; lane++) {
                    ptrdiff_t h = 4 * (th + lane);
                    for (int l = 0; l < 4 && h + l < size_h; l++) line[h + l] = values[l][lane];
                }
            }
        }
        tile += tiles_h;
    }
}

CLONES
void cwinograd4_input(const float *plane, ptrdiff_t size_h, ptrdiff_t size_w, ptrdiff_t first_row, ptrdiff_t row_count,
                      const float *scale, float shift, float *transformed, ptrdiff_t stride, float *lines, ptrdiff_t next_plane) {
    input(plane, size_h, size_w, first_row, row_count, scale, shift, transformed, stride, lines, next_plane);
}

void cwinograd4_input_baseline(const float *plane, ptrdiff_t size_h, ptrdiff_t size_w, ptrdiff_t first_row,
                               ptrdiff_t row_count, const float *scale, float shift, float *transformed, ptrdiff_t stride,
                               float *lines, ptrdiff_t next_plane) {
    input(plane, size_h, size_w, first_row, row_count, scale, shift, transformed, stride, lines, next_plane);
}

CLONES
void cwinograd4_output(const float *products, ptrdiff_t stride, ptrdiff_t first_row, ptrdiff_t row_count, float *plane,
                       ptrdiff_t size_h, ptrdiff_t size_w) {
    output(products, stride, first_row, row_count, plane, size_h, size_w);
}

void cwinograd4_output_baseline(const float *products, ptrdiff_t stride, ptrdiff_t first_row, ptrdiff_t row_count,
                                float *plane, ptrdiff_t size_h, ptrdiff_t size_w) {
    output(products, stride, first_row, row_count, plane, size_h, size_w);
}

