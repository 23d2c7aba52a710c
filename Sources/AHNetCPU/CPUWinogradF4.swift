import AHNet
import CConvolution

/// Winograd F(4x4, 3x3): each 4x4 block of outputs in a slice comes from a 6x6 input patch
/// through 36 products instead of 144: 2.25 products per output (F(2x2, 3x3): 4, im2col: 9) and
/// 2.25 transformed values per input voxel (F(2x2, 3x3): 4), so less GEMM work and less memory
/// traffic for the same layer. Points 0, 1, -1, 2, -½ (of the usual 0, ±1, ±2, this set rounds
/// least in float32: a third less on an 80-channel layer, tools/bench/winograd_points.py):
/// `Bᵀ = [1 3/2 -2 -3/2 1 0; 0 -1 -5/2 -1/2 1 0; 0 1 1/2 -5/2 1 0; 0 -1/2 -1 1/2 1 0; 0 2 -1 -2 1 0; 0 1 3/2 -2 -3/2 1]`,
/// `G = [1 0 0; -⅓ -⅓ -⅓; ⅓ -⅓ ⅓; 1/15 2/15 4/15; -16/15 8/15 -4/15; 0 0 1]`,
/// `Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -½ 0; 0 1 1 4 ¼ 0; 0 1 -1 8 -⅛ 1]`.
/// Its float32 rounding error is still about four times F(2x2, 3x3)'s; docs/BENCHMARKS.md gives
/// the whole network's agreement with MONAI either way.
enum WinogradF4: WinogradTiling {
    static let tile = 4
    static let points = 6

    static func lineScratchCount(tilesH: Int) -> Int { cwinograd4_line_scratch(4 * tilesH) }

    /// `U[ξ][co][ci]` for ξ = 6i+k over the (W, H) axes of the kernel, computed in double precision.
    static func transformWeights(_ spec: PreparedConvolution) -> [Float] {
        let (outputs, inputs) = (spec.outChannels, spec.inChannels)
        let g: [(Double, Double, Double)] = [
            (1, 0, 0), (-1.0 / 3, -1.0 / 3, -1.0 / 3), (1.0 / 3, -1.0 / 3, 1.0 / 3),
            (1.0 / 15, 2.0 / 15, 4.0 / 15), (-16.0 / 15, 8.0 / 15, -4.0 / 15), (0, 0, 1),
        ]
        var transformed = [Float](repeating: 0, count: 36 * outputs * inputs)
        var t = [Double](repeating: 0, count: 18)
        for co in 0..<outputs {
            for ci in 0..<inputs {
                // Weight layout `[Cout][Cin][kD][kW][kH]` with kD = 1: w(kw, kh) at base + 3 kw + kh.
                let base = (co * inputs + ci) * 9
                func weight(_ kw: Int, _ kh: Int) -> Double { Double(spec.weights[base + 3 * kw + kh]) }
                // t = G w (6x3), then u = t Gᵀ (6x6).
                for i in 0..<6 {
                    for kh in 0..<3 { t[i * 3 + kh] = g[i].0 * weight(0, kh) + g[i].1 * weight(1, kh) + g[i].2 * weight(2, kh) }
                }
                for i in 0..<6 {
                    for k in 0..<6 {
                        let u = t[i * 3] * g[k].0 + t[i * 3 + 1] * g[k].1 + t[i * 3 + 2] * g[k].2
                        transformed[((i * 6 + k) * outputs + co) * inputs + ci] = Float(u)
                    }
                }
            }
        }
        return transformed
    }

    /// `V = Bᵀ d B` in C (`cwinograd4_input`), compiled for AVX2 and for baseline x86-64; the next
    /// channel's plane (`size.product` on) is prefetched (past the last channel prefetching is harmless).
    static func transformInput(
        _ plane: UnsafeMutablePointer<Float>, size: Size3, tileRows: Range<Int>, scale: Float?, shift: Float,
        into transformed: UnsafeMutablePointer<Float>, stride: Int, lines: UnsafeMutablePointer<Float>
    ) {
        if var scale {
            cwinograd4_input(plane, size.i, size.j, tileRows.lowerBound, tileRows.count, &scale, shift, transformed, stride, lines, size.product)
        } else {
            cwinograd4_input(plane, size.i, size.j, tileRows.lowerBound, tileRows.count, nil, shift, transformed, stride, lines, size.product)
        }
    }

    /// `Y = Aᵀ M A` in C (`cwinograd4_output`).
    static func transformOutput(
        _ products: UnsafeMutablePointer<Float>, stride: Int, tileRows: Range<Int>, into plane: UnsafeMutablePointer<Float>,
        size: Size3
    ) {
        cwinograd4_output(products, stride, tileRows.lowerBound, tileRows.count, plane, size.i, size.j)
    }
}
