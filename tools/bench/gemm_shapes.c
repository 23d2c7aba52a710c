/* SGEMM on the shapes of AH-Net's convolutions (one 224x224x32 window, as the CPU backend calls them:
 * row-major, one thread, beta 0), best of 5, against a square 2048^3. Compare BLAS libraries:
 *   gcc -O2 -DOPENBLAS -I/usr/include/x86_64-linux-gnu/openblas-pthread gemm_shapes.c -o gemm_openblas -lopenblas
 *   gcc -O2 -I/usr/include/x86_64-linux-gnu/blis-serial gemm_shapes.c -o gemm_blis \
 *       -L/usr/lib/x86_64-linux-gnu/blis-serial -Wl,-rpath,/usr/lib/x86_64-linux-gnu/blis-serial -lblis   (libblis-serial-dev)
 * Not built by CI. Figures in docs/BENCHMARKS.md. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>
#ifdef OPENBLAS
void openblas_set_num_threads(int);
#endif
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(void) {
#ifdef OPENBLAS
    openblas_set_num_threads(1);
#endif
    int shapes[][4] = { {20, 80, 655, 16}, {2, 124, 500, 16}, {64, 147, 1783, 1}, {80, 104, 2500, 1}, {256, 64, 12544, 1},
                        {256, 256, 49, 16}, {1024, 512, 49, 1}, {20, 60, 4000, 1}, {2048, 2048, 2048, 1} };
    const char *names[] = {"wino dense4 20x80x655", "wino final 2x124x500", "stem 64x147x1783", "dense4 1x1 80x104x2500",
                           "layer1 1x1 256x64x12544", "wino layer3 256x256x49", "layer4 1x1 1024x512x49", "k113 20x60x4000", "square 2048"};
    for (int s = 0; s < 9; s++) {
        int m = shapes[s][0], k = shapes[s][1], n = shapes[s][2], count = shapes[s][3];
        float *a = malloc(sizeof(float) * m * k * count), *b = malloc(sizeof(float) * k * n * count), *c = malloc(sizeof(float) * m * n * count);
        for (long i = 0; i < (long)m * k * count; i++) a[i] = (float)(i % 7) * 0.1f;
        for (long i = 0; i < (long)k * n * count; i++) b[i] = (float)(i % 5) * 0.1f;
        double flop = 2.0 * m * n * k * count;
        int reps = (int)(2e9 / flop) + 1;
        double best = 1e9;
        for (int trial = 0; trial < 5; trial++) {
            double t0 = now();
            for (int r = 0; r < reps; r++)
                for (int x = 0; x < count; x++)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a + (long)x * m * k, k, b + (long)x * k * n, n, 0.0f, c + (long)x * m * n, n);
            double t = (now() - t0) / reps;
            if (t < best) best = t;
        }
        printf("%-26s %8.3f ms  %6.1f GFLOP/s\n", names[s], best * 1e3, flop / best * 1e-9);
        free(a); free(b); free(c);
    }
    return 0;
}
