#include "CConvolution.h"
#include <string.h>

// Products and sums stay separate operations in every clone (no fused multiply-add).
#pragma STDC FP_CONTRACT OFF

typedef float v8 __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

#define LOAD8(p) ({ v8 loaded_; memcpy(&loaded_, (p), sizeof loaded_); loaded_; })
#define STORE8(p, v) do { v8 stored_ = (v); memcpy((p), &stored_, sizeof stored_); } while (0)
#define SPLAT(x) ((v8){(x), (x), (x), (x), (x), (x), (x), (x)})

/// Floats per padded line: room for whole groups of eight outputs plus the two neighbours read.
static ptrdiff_t padded_pitch(ptrdiff_t size_h) { return (size_h + 7) / 8 * 8 + 8; }

ptrdiff_t cdirect3x3_scratch(ptrdiff_t size_h, ptrdiff_t size_w, ptrdiff_t outputs) {
    return (size_w + 2 + outputs * size_w) * padded_pitch(size_h);
}

// An AVX2 build and a baseline one, picked when the program loads; one build elsewhere (ARM).
#if defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#endif
void cdirect3x3(const float *input, ptrdiff_t size_h, ptrdiff_t size_w, ptrdiff_t first_slice, ptrdiff_t slice_count,
                ptrdiff_t channels, ptrdiff_t input_plane, const float *scale, const float *shift, const float *weights,
                ptrdiff_t outputs, float *output, ptrdiff_t output_plane, float *scratch) {
    ptrdiff_t pitch = padded_pitch(size_h);
    ptrdiff_t slice = size_h * size_w;
    float *padded = scratch;                              // (size_w + 2) lines, input h at position h + 1
    float *sums = scratch + (size_w + 2) * pitch;         // outputs x size_w lines
    // Positions outside the plane stay zero: only 1 ... size_h of lines 1 ... size_w are written.
    memset(padded, 0, (size_t)((size_w + 2) * pitch) * sizeof(float));
    for (ptrdiff_t d = first_slice; d < first_slice + slice_count; d++) {
        memset(sums, 0, (size_t)(outputs * size_w * pitch) * sizeof(float));
        for (ptrdiff_t ci = 0; ci < channels; ci++) {
            const float *values = input + ci * input_plane + d * slice;
            for (ptrdiff_t w = 0; w < size_w; w++) {
                float *line = padded + (w + 1) * pitch + 1;
                const float *from = values + w * size_h;
                if (scale) {
                    ptrdiff_t h = 0;
                    for (; h + 8 <= size_h; h += 8) {
                        v8 v = LOAD8(from + h) * SPLAT(scale[ci]) + SPLAT(shift[ci]);
                        v8i negative = v < SPLAT(0.0f);
                        STORE8(line + h, (v8)((v8i)v & ~negative));
                    }
                    for (; h < size_h; h++) {
                        float value = from[h] * scale[ci] + shift[ci];
                        line[h] = value < 0 ? 0 : value;
                    }
                } else {
                    memcpy(line, from, (size_t)size_h * sizeof(float));
                }
            }
            for (ptrdiff_t o = 0; o < outputs; o++) {
                const float *k = weights + (o * channels + ci) * 9;   // [kw][kh]
                v8 k00 = SPLAT(k[0]), k01 = SPLAT(k[1]), k02 = SPLAT(k[2]), k10 = SPLAT(k[3]), k11 = SPLAT(k[4]);
                v8 k12 = SPLAT(k[5]), k20 = SPLAT(k[6]), k21 = SPLAT(k[7]), k22 = SPLAT(k[8]);
                for (ptrdiff_t w = 0; w < size_w; w++) {
                    const float *r0 = padded + w * pitch, *r1 = r0 + pitch, *r2 = r1 + pitch;
                    float *sum = sums + (o * size_w + w) * pitch;
                    for (ptrdiff_t h = 0; h < size_h; h += 8) {
                        // Output h reads padded positions h, h + 1, h + 2 of lines w - 1, w, w + 1.
                        v8 line0 = k00 * LOAD8(r0 + h) + k01 * LOAD8(r0 + h + 1) + k02 * LOAD8(r0 + h + 2);
                        v8 line1 = k10 * LOAD8(r1 + h) + k11 * LOAD8(r1 + h + 1) + k12 * LOAD8(r1 + h + 2);
                        v8 line2 = k20 * LOAD8(r2 + h) + k21 * LOAD8(r2 + h + 1) + k22 * LOAD8(r2 + h + 2);
                        STORE8(sum + h, LOAD8(sum + h) + (line0 + line1 + line2));
                    }
                }
            }
        }
        for (ptrdiff_t o = 0; o < outputs; o++) {
            for (ptrdiff_t w = 0; w < size_w; w++) {
                memcpy(output + o * output_plane + d * slice + w * size_h, sums + (o * size_w + w) * pitch, (size_t)size_h * sizeof(float));
            }
        }
    }
}
