#include "CConvolution.h"

// The products of the Winograd paths with fused multiply-adds on AVX2 + FMA CPUs; the other CPUs
// keep OpenBLAS (`cconvolution_fma_available` says which). One build only: without FMA this
// kernel would be no faster than OpenBLAS's.
#if defined(__x86_64__)
#include "fma_block.h"

/// `R` output channels x `NV` groups of eight tiles, stored to `m[r * m_step + 8 j]`.
FMA_KERNEL void product_block(const float *u, ptrdiff_t inputs, const float *v, ptrdiff_t v_step, float *m,
                              ptrdiff_t m_step, const int R, const int NV) {
    __m256 acc[6][2];
    fma_block(acc, u, inputs, v, v_step, inputs, R, NV);
    for (int r = 0; r < R; r++)
        for (int j = 0; j < NV; j++) _mm256_storeu_ps(m + r * m_step + 8 * j, acc[r][j]);
}

#define PRODUCT_BLOCK(R, NV) product_block(u, inputs, v, v_step, m, m_step, R, NV)

FMA_KERNEL void any_product_block(const float *u, ptrdiff_t inputs, const float *v, ptrdiff_t v_step, float *m,
                                  ptrdiff_t m_step, int rows, int groups) {
    FMA_DISPATCH(PRODUCT_BLOCK, rows, groups)
}

__attribute__((target("avx2,fma")))
void cwinograd_multiply(const float *weights, const float *transformed, float *products, ptrdiff_t outputs,
                        ptrdiff_t inputs, ptrdiff_t points2, ptrdiff_t tiles, ptrdiff_t pitch) {
    ptrdiff_t step = points2 * pitch;
    ptrdiff_t padded = (tiles + 7) / 8 * 8;
    int block_rows = fma_rows(outputs);
    for (ptrdiff_t xi = 0; xi < points2; xi++) {
        const float *u_xi = weights + xi * outputs * inputs;
        // Blocks of 16 tiles (the last maybe 8): each block's input column (inputs x 16 floats)
        // stays in L1 while every output channel's row of U passes over it.
        for (ptrdiff_t t = 0; t < padded; t += 16) {
            int groups = padded - t >= 16 ? 2 : 1;
            const float *v = transformed + xi * pitch + t;
            for (ptrdiff_t co = 0; co < outputs; co += block_rows) {
                int rows = outputs - co >= block_rows ? block_rows : (int)(outputs - co);
                any_product_block(u_xi + co * inputs, inputs, v, step, products + co * step + xi * pitch + t, step, rows,
                                  groups);
            }
        }
    }
}

int cconvolution_fma_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
int cconvolution_fma_available(void) { return 0; }

void cwinograd_multiply(const float *weights, const float *transformed, float *products, ptrdiff_t outputs,
                        ptrdiff_t inputs, ptrdiff_t points2, ptrdiff_t tiles, ptrdiff_t pitch) {
    (void)weights, (void)transformed, (void)products, (void)outputs, (void)inputs, (void)points2, (void)tiles, (void)pitch;
}
#endif
