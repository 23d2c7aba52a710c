#include "CConvolution.h"

// Convolutions as fused passes on AVX2 + FMA CPUs (`cpointwise`, `ccolumns_multiply`): a chunk of
// positions is packed once into blocks of 16 (activating the input channels on the way, for the
// 1x1x1 convolutions), multiplied with fused multiply-adds and stored through the epilogue
// straight into the output: no product buffer, no separate activation or epilogue pass, no
// OpenBLAS packing. The epilogue's operations are separate multiplications and additions, in the
// order of the Swift epilogue (`EpilogueStore`).
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include "fma_block.h"

/// Columns per block: two groups of eight, for up to six output channels at a time (twelve
/// accumulators; four channels by 24 columns left the compiler one register short, and an
/// accumulator spilled to the stack made the loop wait on memory: 40 % slower).
enum { BLOCK = 16, ROWS = 6 };

typedef struct {
    const float *scale, *shift, *residual;
    ptrdiff_t residual_plane;
    int relu;
} epilogue_t;

FMA_KERNEL __m256 finish(__m256 v, const epilogue_t *e, ptrdiff_t co, const float *residual) {
    if (e->scale) v = _mm256_mul_ps(v, _mm256_broadcast_ss(e->scale + co));
    if (e->shift) v = _mm256_add_ps(v, _mm256_broadcast_ss(e->shift + co));
    if (residual) v = _mm256_add_ps(v, _mm256_loadu_ps(residual));
    if (e->relu) v = _mm256_andnot_ps(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ), v);
    return v;
}

static inline float finish_scalar(float v, const epilogue_t *e, ptrdiff_t co, const float *residual) {
    if (e->scale) v = v * e->scale[co];
    if (e->shift) v = v + e->shift[co];
    if (residual) v = v + *residual;
    if (e->relu && v < 0) v = 0;
    return v;
}

/// The epilogue of `rows` output channels' sums from `co`, `valid` positions from `p`.
__attribute__((target("avx2,fma"), noinline))
static void store_tile(float tile[ROWS][BLOCK], int rows, const epilogue_t *e, float *output, ptrdiff_t output_plane,
                       ptrdiff_t co, ptrdiff_t p, int valid) {
    for (int r = 0; r < rows; r++) {
        float *row = output + (co + r) * output_plane + p;
        const float *residual = e->residual ? e->residual + (co + r) * e->residual_plane + p : NULL;
        int l = 0;
        for (; l + 8 <= valid; l += 8)
            _mm256_storeu_ps(row + l, finish(_mm256_loadu_ps(tile[r] + l), e, co + r, residual ? residual + l : NULL));
        for (; l < valid; l++) row[l] = finish_scalar(tile[r][l], e, co + r, residual ? residual + l : NULL);
    }
}

/// `R` output channels from `co` over the block of `valid` positions from `p`, `NV` groups of eight.
/// The sums pass through a small tile on the stack: with the epilogue in the same loop nest the
/// compiler kept its constants in registers and spilled accumulators in the inner loop.
FMA_KERNEL void output_block(const float *weights, ptrdiff_t inputs, const float *packed, const epilogue_t *e,
                             float *output, ptrdiff_t output_plane, ptrdiff_t co, ptrdiff_t p, int valid, const int R,
                             const int NV) {
    __m256 acc[ROWS][2];
    fma_block(acc, weights + co * inputs, inputs, packed, BLOCK, inputs, R, NV);
    float tile[ROWS][BLOCK];
    for (int r = 0; r < R; r++)
        for (int j = 0; j < NV; j++) _mm256_storeu_ps(tile[r] + 8 * j, acc[r][j]);
    store_tile(tile, R, e, output, output_plane, co, p, valid);
}

#define OUTPUT_BLOCK(R, NV) output_block(weights, inputs, packed, e, output, output_plane, co, p, valid, R, NV)

FMA_KERNEL void any_output_block(const float *weights, ptrdiff_t inputs, const float *packed, const epilogue_t *e,
                                 float *output, ptrdiff_t output_plane, ptrdiff_t co, ptrdiff_t p, int valid, int rows,
                                 int groups) {
    FMA_DISPATCH(OUTPUT_BLOCK, rows, groups)
}

/// One row of the operand into every block's row (`packed`, blocks `block_step` apart): `count`
/// positions l, `values[from + l]` activated when `scale` is given (`max(x * scale + shift, 0)`,
/// NaN kept) for `lo <= l < hi`, zeros elsewhere (padding, and past the last position).
__attribute__((target("avx2,fma")))
static void pack_row(const float *values, ptrdiff_t from, ptrdiff_t count, ptrdiff_t lo, ptrdiff_t hi, const float *scale,
                     float shift, float *packed, ptrdiff_t block_step) {
    for (ptrdiff_t b = 0; b * BLOCK < count; b++) {
        float *row = packed + b * block_step;
        ptrdiff_t first = b * BLOCK;
        if (first >= lo && first + BLOCK <= hi && first + BLOCK <= count) {
            for (int j = 0; j < BLOCK / 8; j++) {
                __m256 x = _mm256_loadu_ps(values + from + first + 8 * j);
                if (scale) {
                    x = _mm256_add_ps(_mm256_mul_ps(x, _mm256_broadcast_ss(scale)), _mm256_set1_ps(shift));
                    x = _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ), x);
                }
                _mm256_storeu_ps(row + 8 * j, x);
            }
        } else {
            for (ptrdiff_t l = 0; l < BLOCK; l++) {
                ptrdiff_t at = first + l;
                float x = 0;
                if (at < count && at >= lo && at < hi) {
                    x = values[from + at];
                    if (scale) {
                        x = x * *scale + shift;
                        if (x < 0) x = 0;
                    }
                }
                row[l] = x;
            }
        }
    }
}

/// The products and epilogue of `count` positions from the packed blocks of `scratch` into
/// `output` (already moved to the first position).
__attribute__((target("avx2,fma")))
static void multiply_packed(const float *scratch, ptrdiff_t inputs, ptrdiff_t count, const float *weights,
                            ptrdiff_t outputs, const epilogue_t *e, float *output, ptrdiff_t output_plane) {
    ptrdiff_t block_step = inputs * BLOCK;
    // Output channels outermost: each group of up to six writes its planes in order (the planes
    // lie a multiple of 4 KB apart, so writing all of them a block at a time thrashes L1's sets),
    // and reads the packed blocks from L2, in order, while its rows of weights stay in L1.
    int block_rows = fma_rows(outputs);
    for (ptrdiff_t co = 0; co < outputs; co += block_rows) {
        int rows = outputs - co >= block_rows ? block_rows : (int)(outputs - co);
        for (ptrdiff_t b = 0; b * BLOCK < count; b++) {
            ptrdiff_t p = b * BLOCK;
            int valid = count - p < BLOCK ? (int)(count - p) : BLOCK;
            any_output_block(weights, inputs, scratch + b * block_step, e, output, output_plane, co, p, valid, rows,
                             (valid + 7) / 8);
        }
    }
}

void cpointwise(const float *input, ptrdiff_t input_plane, ptrdiff_t inputs, ptrdiff_t taps, ptrdiff_t tap_step,
                const float *input_scale, const float *input_shift, const float *weights, ptrdiff_t outputs,
                const float *scale, const float *shift, const float *residual, ptrdiff_t residual_plane, int relu,
                float *output, ptrdiff_t output_plane, ptrdiff_t start, ptrdiff_t count, float *scratch) {
    ptrdiff_t depth = inputs * taps;
    // Each row's positions are read as one run (prefetched by the hardware) into the blocks.
    for (ptrdiff_t ci = 0; ci < inputs; ci++) {
        for (ptrdiff_t t = 0; t < taps; t++) {
            // Tap t reads position p + offset, inside the plane only (zero padding after activation).
            ptrdiff_t offset = (t - taps / 2) * tap_step;
            ptrdiff_t lo = -offset - start, hi = input_plane - offset - start;
            pack_row(input + ci * input_plane, start + offset, count, lo, hi, input_scale ? input_scale + ci : NULL,
                     input_shift ? input_shift[ci] : 0, scratch + (ci * taps + t) * BLOCK, depth * BLOCK);
        }
    }
    epilogue_t e = {scale, shift, residual ? residual + start : NULL, residual_plane, relu};
    multiply_packed(scratch, depth, count, weights, outputs, &e, output + start, output_plane);
}

void ccolumns_multiply(const float *columns, ptrdiff_t depth, ptrdiff_t count, const float *weights, ptrdiff_t outputs,
                       const float *scale, const float *shift, const float *residual, ptrdiff_t residual_plane, int relu,
                       float *output, ptrdiff_t output_plane, ptrdiff_t start, float *scratch) {
    // Rows read sixteen floats at a time from `depth` places at once defeat the prefetcher:
    // packed first, in L2, they are read in order.
    for (ptrdiff_t k = 0; k < depth; k++) pack_row(columns + k * count, 0, count, 0, count, NULL, 0, scratch + k * BLOCK, depth * BLOCK);
    epilogue_t e = {scale, shift, residual ? residual + start : NULL, residual_plane, relu};
    multiply_packed(scratch, depth, count, weights, outputs, &e, output + start, output_plane);
}
#else
void cpointwise(const float *input, ptrdiff_t input_plane, ptrdiff_t inputs, ptrdiff_t taps, ptrdiff_t tap_step,
                const float *input_scale, const float *input_shift, const float *weights, ptrdiff_t outputs,
                const float *scale, const float *shift, const float *residual, ptrdiff_t residual_plane, int relu,
                float *output, ptrdiff_t output_plane, ptrdiff_t start, ptrdiff_t count, float *scratch) {
    (void)taps, (void)tap_step, (void)input, (void)input_plane, (void)inputs, (void)input_scale, (void)input_shift, (void)weights, (void)outputs;
    (void)scale, (void)shift, (void)residual, (void)residual_plane, (void)relu, (void)output, (void)output_plane;
    (void)start, (void)count, (void)scratch;
}

void ccolumns_multiply(const float *columns, ptrdiff_t depth, ptrdiff_t count, const float *weights, ptrdiff_t outputs,
                       const float *scale, const float *shift, const float *residual, ptrdiff_t residual_plane, int relu,
                       float *output, ptrdiff_t output_plane, ptrdiff_t start, float *scratch) {
    (void)scratch, (void)columns, (void)depth, (void)count, (void)weights, (void)outputs, (void)scale, (void)shift, (void)residual;
    (void)residual_plane, (void)relu, (void)output, (void)output_plane, (void)start;
}
#endif
