// lungseg OpenCL kernels: the single source of the OpenCL backend, OpenCL C 1.2, no extensions.
// Embedded into AHNetCL at build time (Plugins/EmbedKernels); never read from disk at run time.
//
// Activations are stored [N][C][D][W][H] (H fastest). A region of a buffer is given by an
// element offset (sample 0, first channel), a per-sample stride and the channel plane size, so
// that dense blocks can read and write channel slices of one preallocated buffer.
//
// Tile sizes come from the host as -D options (chosen per device); these are the defaults.
#ifndef TM
#define TM 64      // output channels per work-group tile
#endif
#ifndef TN
#define TN 64      // output positions per work-group tile
#endif
#ifndef TK
#define TK 16      // reduction slice held in local memory (a multiple of 4)
#endif
#ifndef WPTM
#define WPTM 4     // output channels per work-item
#endif
#ifndef WPTN
#define WPTN 4     // output positions per work-item
#endif
// TN must be a multiple of 4 too (vload4 along positions).
#define RTM (TM / WPTM)   // work-items along M
#define RTN (TN / WPTN)   // work-items along N
#define THREADS (RTM * RTN)

// Epilogue flags.
#define HAS_BIAS 1
#define HAS_AFFINE 2
#define HAS_RESIDUAL 4
#define HAS_RELU 8
#define HAS_INPUT_AFFINE 16

// y[i] = a * x[i] + y[i]: the smoke-test kernel that proves a device builds and runs this file.
__kernel void saxpy(const int n, const float a, __global const float *x, __global float *y) {
    const int i = get_global_id(0);
    if (i < n) {
        y[i] = a * x[i] + y[i];
    }
}

// Convolution as an implicit GEMM: C[Cout][P] = W[Cout][K] * im2col(X)[K][P], where the im2col
// operand is gathered on the fly into local memory (no im2col buffer in device memory), with the
// input transform relu(x * scale + shift) applied while gathering (padding stays zero) and the
// epilogue relu((acc + bias) * a + b + residual) fused into the store.
// Global size: (ceil(P / TN) * RTN, ceil(Cout / TM) * RTM, N); local size (RTN, RTM, 1).
__kernel __attribute__((reqd_work_group_size(RTN, RTM, 1)))
void conv3d(__global const float *input, const int inOffset, const int inSampleStride,
            __global const float *weights, __global const float *bias,
            __global const float *inputAffine,   // [2][Cin]: scale then shift
            __global const float *outputAffine,  // [2][Cout]
            __global const float *residual, const int resOffset, const int resSampleStride,
            __global float *output, const int outOffset, const int outSampleStride,
            const int cin, const int cout,
            const int inD, const int inW, const int inH,
            const int outD, const int outW, const int outH,
            const int kD, const int kW, const int kH,
            const int sD, const int sW, const int sH,
            const int pD, const int pW, const int pH,
            const int flags) {
    __local float tileA[TK][TM + 1];
    __local float tileB[TK][TN];

    const int localN = get_local_id(0);
    const int localM = get_local_id(1);
    const int tid = localM * RTN + localN;
    const int baseN = get_group_id(0) * TN;
    const int baseM = get_group_id(1) * TM;
    const int sample = get_global_id(2);

    const int kernelVolume = kD * kW * kH;
    const int K = cin * kernelVolume;
    const int P = outD * outW * outH;
    const int inPlane = inD * inW * inH;
    const int outPlaneWH = outW * outH;
    const bool pointwise = kernelVolume == 1 && sD == 1 && sW == 1 && sH == 1 && pD == 0 && pW == 0 && pH == 0;
    __global const float *x = input + inOffset + sample * inSampleStride;

    float acc[WPTM][WPTN];
    for (int i = 0; i < WPTM; i++)
        for (int j = 0; j < WPTN; j++) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += TK) {
        // Weights tile: TM x TK values, four consecutive k at a time (vload4) where they exist.
        for (int e = tid; e < TM * (TK / 4); e += THREADS) {
            const int m = e / (TK / 4);
            const int k = (e - m * (TK / 4)) * 4;
            const int gm = baseM + m;
            const int gk = k0 + k;
            if (gm < cout && gk + 3 < K) {
                const float4 v = vload4(0, weights + gm * K + gk);
                tileA[k][m] = v.x;
                tileA[k + 1][m] = v.y;
                tileA[k + 2][m] = v.z;
                tileA[k + 3][m] = v.w;
            } else {
                for (int q = 0; q < 4; q++) tileA[k + q][m] = (gm < cout && gk + q < K) ? weights[gm * K + gk + q] : 0.0f;
            }
        }
        // Input tile: TK x TN values gathered from the activation. A pointwise convolution reads
        // four consecutive positions of one channel at a time (vload4) where they exist.
        if (pointwise) {
            for (int e = tid; e < TK * (TN / 4); e += THREADS) {
                const int k = e / (TN / 4);
                const int n = (e - k * (TN / 4)) * 4;
                const int gk = k0 + k;
                const int gp = baseN + n;
                float4 v = (float4)(0.0f);
                if (gk < K && gp + 3 < P) {
                    v = vload4(0, x + gk * inPlane + gp);
                } else if (gk < K) {
                    v.x = gp < P ? x[gk * inPlane + gp] : 0.0f;
                    v.y = gp + 1 < P ? x[gk * inPlane + gp + 1] : 0.0f;
                    v.z = gp + 2 < P ? x[gk * inPlane + gp + 2] : 0.0f;
                    v.w = gp + 3 < P ? x[gk * inPlane + gp + 3] : 0.0f;
                }
                if (gk < K && (flags & HAS_INPUT_AFFINE)) {
                    const float scale = inputAffine[gk];
                    const float shift = inputAffine[cin + gk];
                    v = fmax(v * scale + shift, (float4)(0.0f));
                    // Positions past the end stay zero (they are never stored).
                }
                tileB[k][n] = v.x;
                tileB[k][n + 1] = v.y;
                tileB[k][n + 2] = v.z;
                tileB[k][n + 3] = v.w;
            }
        } else
        for (int e = tid; e < TK * TN; e += THREADS) {
            const int k = e / TN;
            const int n = e - k * TN;
            const int gk = k0 + k;
            const int gp = baseN + n;
            float value = 0.0f;
            if (gk < K && gp < P) {
                const int c = gk / kernelVolume;
                {
                    int r = gk - c * kernelVolume;
                    const int z = r / (kW * kH);
                    r -= z * kW * kH;
                    const int y = r / kH;
                    const int xk = r - y * kH;
                    const int od = gp / outPlaneWH;
                    const int rest = gp - od * outPlaneWH;
                    const int ow = rest / outH;
                    const int oh = rest - ow * outH;
                    const int d = od * sD - pD + z;
                    const int w = ow * sW - pW + y;
                    const int h = oh * sH - pH + xk;
                    if (d >= 0 && d < inD && w >= 0 && w < inW && h >= 0 && h < inH) {
                        value = x[c * inPlane + (d * inW + w) * inH + h];
                        if (flags & HAS_INPUT_AFFINE) value = fmax(value * inputAffine[c] + inputAffine[cin + c], 0.0f);
                    }
                }
            }
            tileB[k][n] = value;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < TK; k++) {
            float a[WPTM];
            float b[WPTN];
            for (int i = 0; i < WPTM; i++) a[i] = tileA[k][localM + i * RTM];
            for (int j = 0; j < WPTN; j++) b[j] = tileB[k][localN + j * RTN];
            for (int i = 0; i < WPTM; i++)
                for (int j = 0; j < WPTN; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    __global float *y = output + outOffset + sample * outSampleStride;
    for (int i = 0; i < WPTM; i++) {
        const int m = baseM + localM + i * RTM;
        if (m >= cout) continue;
        const float add = (flags & HAS_BIAS) ? bias[m] : 0.0f;
        const float scale = (flags & HAS_AFFINE) ? outputAffine[m] : 1.0f;
        const float shift = (flags & HAS_AFFINE) ? outputAffine[cout + m] : 0.0f;
        for (int j = 0; j < WPTN; j++) {
            const int p = baseN + localN + j * RTN;
            if (p >= P) continue;
            float v = (acc[i][j] + add) * scale + shift;
            if (flags & HAS_RESIDUAL) v += residual[resOffset + sample * resSampleStride + m * P + p];
            if (flags & HAS_RELU) v = fmax(v, 0.0f);
            y[m * P + p] = v;
        }
    }
}

// Position p of a [D][W][H] grid as (d, w, h).
inline void decode_position(const int p, const int W, const int H, int *d, int *w, int *h) {
    *d = p / (W * H);
    const int rest = p - *d * W * H;
    *w = rest / H;
    *h = rest - *w * H;
}

// Max pooling with -infinity padding, then relu(v * a + b + residual). One work-item per output.
// Global size: (outD * outW * outH, C, N).
__kernel void maxpool3d(__global const float *input, const int inOffset, const int inSampleStride,
                        __global const float *affine, __global const float *residual, const int resOffset,
                        const int resSampleStride, __global float *output, const int outOffset,
                        const int outSampleStride, const int channels,
                        const int inD, const int inW, const int inH,
                        const int outD, const int outW, const int outH,
                        const int kD, const int kW, const int kH,
                        const int sD, const int sW, const int sH,
                        const int pD, const int pW, const int pH, const int flags) {
    const int p = get_global_id(0);
    const int c = get_global_id(1);
    const int sample = get_global_id(2);
    const int P = outD * outW * outH;
    if (p >= P) return;
    int od, ow, oh;
    decode_position(p, outW, outH, &od, &ow, &oh);
    __global const float *x = input + inOffset + sample * inSampleStride + c * (inD * inW * inH);
    float best = -INFINITY;
    for (int z = 0; z < kD; z++) {
        const int d = od * sD - pD + z;
        if (d < 0 || d >= inD) continue;
        for (int y = 0; y < kW; y++) {
            const int w = ow * sW - pW + y;
            if (w < 0 || w >= inW) continue;
            for (int xk = 0; xk < kH; xk++) {
                const int h = oh * sH - pH + xk;
                if (h < 0 || h >= inH) continue;
                best = fmax(best, x[(d * inW + w) * inH + h]);
            }
        }
    }
    float v = best;
    if (flags & HAS_AFFINE) v = v * affine[c] + affine[channels + c];
    if (flags & HAS_RESIDUAL) v += residual[resOffset + sample * resSampleStride + c * P + p];
    if (flags & HAS_RELU) v = fmax(v, 0.0f);
    output[outOffset + sample * outSampleStride + c * P + p] = v;
}

// Source taps of a linear x2 resize with align_corners=True, in float as PyTorch computes them.
inline void linear_taps(const int o, const int inSize, const int outSize, int *low, int *high, float *weight) {
    const float scale = outSize > 1 ? (float)(inSize - 1) / (float)(outSize - 1) : 0.0f;
    const float real = scale * (float)o;
    const int base = (int)real;
    *low = base;
    *high = base < inSize - 1 ? base + 1 : base;
    *weight = clamp(real - (float)base, 0.0f, 1.0f);
}

// Trilinear x2 upsampling (align_corners=True) plus an optional skip tensor.
// Global size: (outD * outW * outH, C, N).
__kernel void upsample2x(__global const float *input, const int inOffset, const int inSampleStride,
                         __global const float *skip, const int skipOffset, const int skipSampleStride,
                         __global float *output, const int outOffset, const int outSampleStride,
                         const int inD, const int inW, const int inH, const int hasSkip) {
    const int outD = inD * 2, outW = inW * 2, outH = inH * 2;
    const int p = get_global_id(0);
    const int c = get_global_id(1);
    const int sample = get_global_id(2);
    const int P = outD * outW * outH;
    if (p >= P) return;
    int od, ow, oh;
    decode_position(p, outW, outH, &od, &ow, &oh);
    int d0, d1, w0, w1, h0, h1;
    float ld, lw, lh;
    linear_taps(od, inD, outD, &d0, &d1, &ld);
    linear_taps(ow, inW, outW, &w0, &w1, &lw);
    linear_taps(oh, inH, outH, &h0, &h1, &lh);
    __global const float *x = input + inOffset + sample * inSampleStride + c * (inD * inW * inH);
    __global const float *r00 = x + (d0 * inW + w0) * inH;
    __global const float *r01 = x + (d0 * inW + w1) * inH;
    __global const float *r10 = x + (d1 * inW + w0) * inH;
    __global const float *r11 = x + (d1 * inW + w1) * inH;
    const float front = (1 - lw) * ((1 - lh) * r00[h0] + lh * r00[h1]) + lw * ((1 - lh) * r01[h0] + lh * r01[h1]);
    const float back = (1 - lw) * ((1 - lh) * r10[h0] + lh * r10[h1]) + lw * ((1 - lh) * r11[h0] + lh * r11[h1]);
    float v = (1 - ld) * front + ld * back;
    if (hasSkip) v += skip[skipOffset + sample * skipSampleStride + c * P + p];
    output[outOffset + sample * outSampleStride + c * P + p] = v;
}
