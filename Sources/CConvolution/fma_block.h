// The register block shared by the FMA kernels (winograd_multiply.c, pointwise.c): private to
// CConvolution. x86-64 only; callers compile it inside functions built for AVX2 + FMA.
#ifndef CCONVOLUTION_FMA_BLOCK_H
#define CCONVOLUTION_FMA_BLOCK_H
#include <immintrin.h>
#include <stddef.h>

#define FMA_KERNEL static inline __attribute__((always_inline, target("avx2,fma")))

/// `acc[r][j] = Σ_ci u[r * u_row + ci] * v[ci * v_step + 8 j]` for `R` output channels and `NV`
/// groups of eight columns (`NV` <= 2, `R * NV` <= 12 accumulators, so that they stay in the 16 registers),
/// the sum in the order of ci.
FMA_KERNEL void fma_block(__m256 acc[6][2], const float *u, ptrdiff_t u_row, const float *v, ptrdiff_t v_step,
                          ptrdiff_t inputs, const int R, const int NV) {
    for (int r = 0; r < R; r++)
        for (int j = 0; j < NV; j++) acc[r][j] = _mm256_setzero_ps();
    for (ptrdiff_t ci = 0; ci < inputs; ci++) {
        __m256 x[2];
        for (int j = 0; j < NV; j++) x[j] = _mm256_loadu_ps(v + 8 * j);
        for (int r = 0; r < R; r++) {
            __m256 w = _mm256_broadcast_ss(u + r * u_row + ci);
            for (int j = 0; j < NV; j++) acc[r][j] = _mm256_fmadd_ps(w, x[j], acc[r][j]);
        }
        v += v_step;
    }
}
/// Output channels per block for `outputs` in all: six (twelve accumulators with two groups of
/// eight columns), or five where that divides `outputs` and six does not (AH-Net's 20 and 80
/// channels: no short last block).
static inline int fma_rows(ptrdiff_t outputs) { return outputs % 6 != 0 && outputs % 5 == 0 ? 5 : 6; }

/// `CALL(R, NV)` with constants for `rows` (1 to 6) and `groups` (1 or 2), each combination its
/// own unrolled code.
#define FMA_DISPATCH(CALL, rows, groups)       \
    switch ((rows) * 2 + (groups) - 1) {       \
    case 2: CALL(1, 1); break;                 \
    case 3: CALL(1, 2); break;                 \
    case 4: CALL(2, 1); break;                 \
    case 5: CALL(2, 2); break;                 \
    case 6: CALL(3, 1); break;                 \
    case 7: CALL(3, 2); break;                 \
    case 8: CALL(4, 1); break;                 \
    case 9: CALL(4, 2); break;                 \
    case 10: CALL(5, 1); break;                \
    case 11: CALL(5, 2); break;                \
    case 12: CALL(6, 1); break;                \
    default: CALL(6, 2); break;                \
    }
#endif
