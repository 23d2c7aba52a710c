#ifndef CCONVOLUTION_H
#define CCONVOLUTION_H
#include <stddef.h>

/// Convolution kernels of AHNetCPU written in C. The transforms and the direct convolution are
/// compiled for AVX2 and for baseline x86-64 (SSE2) and picked when the process starts (clang's
/// `target_clones`): Swift compiles one baseline for the whole module, where eight-lane vectors
/// are two SSE registers and these kernels spill. Both clones use the same additions and
/// multiplications in the same order (no fused multiply-add), so their results do not depend on
/// the CPU. The fused kernels (`cwinograd_multiply`, `cpointwise`, `ccolumns_multiply`) exist for
/// AVX2 with FMA only and replace OpenBLAS's SGEMM where the backend chooses them: like
/// OpenBLAS's own kernels, they give results that differ in float32 rounding from machine to
/// machine.
/// A plane is `[W][H]` floats (H fastest); in the Winograd F(4x4, 3x3) transforms (`WinogradF4`)
/// tile rows are a slice's tiles along H at one W, counted over the slices; tiles run along H.

/// Floats of line scratch `cwinograd4_input` needs for planes `size_h` long.
ptrdiff_t cwinograd4_line_scratch(ptrdiff_t size_h);

/// `V = Bᵀ d B` of one input channel for tile rows `first_row ..< first_row + row_count`, written
/// to `transformed[ξ * stride + tile]` (ξ = 6 i + k over the patch's W and H axes, tile counted
/// from the first row), eight tiles at a time: up to seven floats past the last tile of each ξ
/// are written too (`stride` leaves room for them). When `scale` is not NULL the input is activated first:
/// `max(x * scale[0] + shift, 0)` (NaN kept). Padding is zero after activation. `lines`: scratch.
/// `next_plane`: elements from `plane` to the plane transformed next (the next input channel),
/// whose lines are prefetched while this one is read (measured: about 2 % of a window); 0 for none.
void cwinograd4_input(const float *plane, ptrdiff_t size_h, ptrdiff_t size_w, ptrdiff_t first_row, ptrdiff_t row_count,
                      const float *scale, float shift, float *transformed, ptrdiff_t stride, float *lines, ptrdiff_t next_plane);

/// `Y = Aᵀ M A` of one output channel for the same tile rows, from `products[ξ * stride + tile]`,
/// written to the output plane (outputs past the plane's edge dropped). Reads up to seven floats
/// past the last tile of each ξ.
void cwinograd4_output(const float *products, ptrdiff_t stride, ptrdiff_t first_row, ptrdiff_t row_count, float *plane,
                       ptrdiff_t size_h, ptrdiff_t size_w);
/// Floats of scratch `cdirect3x3` needs per call.
ptrdiff_t cdirect3x3_scratch(ptrdiff_t size_h, ptrdiff_t size_w, ptrdiff_t outputs);

/// The in-plane 3x3 convolution (stride 1, zero padding 1 along H and W) written directly, for few
/// output channels (AH-Net's final convolution has two, where GEMMs and Winograd transforms cost
/// more than the products): `output[o * output_plane + v] = Σ_ci Σ_kw,kh weights[((o * channels +
/// ci) * 3 + kw) * 3 + kh] * x_ci(w + kw - 1, h + kh - 1)` for the slices `first_slice ..<
/// first_slice + slice_count`, with `x_ci` the input plane `input + ci * input_plane`, activated
/// as `max(x * scale[ci] + shift[ci], 0)` when `scale` is not NULL. Compiled for AVX2 and baseline.
void cdirect3x3(const float *input, ptrdiff_t size_h, ptrdiff_t size_w, ptrdiff_t first_slice, ptrdiff_t slice_count,
                ptrdiff_t channels, ptrdiff_t input_plane, const float *scale, const float *shift, const float *weights,
                ptrdiff_t outputs, float *output, ptrdiff_t output_plane, float *scratch);

/// Whether the fused kernels (`cwinograd_multiply`, `cpointwise`, `ccolumns_multiply`) run on this
/// CPU (x86-64 with AVX2 and FMA); 0 elsewhere, where callers use OpenBLAS.
int cconvolution_fma_available(void);

/// The products of a Winograd tiling, with fused multiply-adds: `products[(co * points2 + ξ) *
/// pitch + t] = Σ_ci weights[(ξ * outputs + co) * inputs + ci] * transformed[(ci * points2 + ξ) *
/// pitch + t]` for ξ < points2 and t < tiles rounded up to eight (`pitch` leaves room), the sum in
/// the order of ci. Only where `cconvolution_fma_available()`.
void cwinograd_multiply(const float *weights, const float *transformed, float *products, ptrdiff_t outputs,
                        ptrdiff_t inputs, ptrdiff_t points2, ptrdiff_t tiles, ptrdiff_t pitch);

/// Floats of scratch `cpointwise` and `ccolumns_multiply` need for `count` positions of `rows`
/// operand rows (input channels times taps, or im2col rows).
static inline ptrdiff_t cpointwise_scratch(ptrdiff_t rows, ptrdiff_t count) { return rows * ((count + 15) / 16 * 16); }

/// The 1x1x1 convolution, or the (1,1,k) one along the slices (k = `taps`, odd, stride 1, zero
/// padding k/2), of positions `start ..< start + count`, fused: `output[co * output_plane + p] =
/// e(Σ_ci Σ_t weights[(co * inputs + ci) * taps + t] * x_ci(p + (t - taps/2) * tap_step))` with
/// `x_ci(q) = input[ci * input_plane + q]` for `0 <= q < input_plane` (0 outside), activated as
/// `max(x * input_scale[ci] + input_shift[ci], 0)` (NaN kept) when `input_scale` is not NULL
/// (padding stays 0), and `e(v) = v * scale[co] + shift[co] + residual[co * residual_plane + p]`,
/// then `max(·, 0)` when `relu`, each part skipped when NULL (0). `tap_step`: elements per slice.
/// Sums with fused multiply-adds in the order of (ci, t). `scratch`:
/// `cpointwise_scratch(inputs * taps, count)` floats. Only where `cconvolution_fma_available()`.
void cpointwise(const float *input, ptrdiff_t input_plane, ptrdiff_t inputs, ptrdiff_t taps, ptrdiff_t tap_step,
                const float *input_scale, const float *input_shift, const float *weights, ptrdiff_t outputs,
                const float *scale, const float *shift, const float *residual, ptrdiff_t residual_plane, int relu,
                float *output, ptrdiff_t output_plane, ptrdiff_t start, ptrdiff_t count, float *scratch);

/// The products and epilogue of `cpointwise` from an operand already in memory: `columns[k * count
/// + p]` for `depth` rows (an im2col matrix) instead of the activated input channels; positions
/// `start ..< start + count` of the output. `scratch`: `cpointwise_scratch(depth, count)` floats.
/// Only where `cconvolution_fma_available()`.
void ccolumns_multiply(const float *columns, ptrdiff_t depth, ptrdiff_t count, const float *weights, ptrdiff_t outputs,
                       const float *scale, const float *shift, const float *residual, ptrdiff_t residual_plane, int relu,
                       float *output, ptrdiff_t output_plane, ptrdiff_t start, float *scratch);

/// `cwinograd4_input` and `cwinograd4_output` compiled for baseline x86-64 only, whatever the CPU:
/// for tests that the clone the CPU picks gives the same bits.
void cwinograd4_input_baseline(const float *plane, ptrdiff_t size_h, ptrdiff_t size_w, ptrdiff_t first_row,
                               ptrdiff_t row_count, const float *scale, float shift, float *transformed, ptrdiff_t stride,
                               float *lines, ptrdiff_t next_plane);
void cwinograd4_output_baseline(const float *products, ptrdiff_t stride, ptrdiff_t first_row, ptrdiff_t row_count,
                                float *plane, ptrdiff_t size_h, ptrdiff_t size_w);
#endif
