import AHNet

/// Winograd F(2x2, 3x3), for planes that F(4x4, 3x3) would pad too much (`Winograd.tiling(for:)`).
/// Each 2x2 block of outputs in a slice comes from a 4x4 input patch through 16 independent
/// products instead of 36, so the GEMMs do 16/36 of im2col's multiply-adds, and the transformed
/// input is 4 values per input voxel instead of im2col's 9.
///
/// Transforms (correlation, as PyTorch's convolution): `V = Bᵀ d B`, `U = G g Gᵀ`,
/// `Y = Aᵀ (U ⊙ V) A` with
/// `Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]`, `G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]`,
/// `Aᵀ = [1 1 1 0; 0 1 -1 -1]`; the 16 element-wise products over all channels are 16 GEMMs
/// `M[ξ] = U[ξ] · V[ξ]` of shape `[Cout × Cin] · [Cin × tiles]`.
enum WinogradF2: WinogradTiling {
    static let tile = 2
    static let points = 4

    /// Length of the even (and of the odd) half of a padded input line in `transformInput`:
    /// room for whole groups of eight tiles plus the one position past the last.
    static func halfLineLength(tilesH: Int) -> Int { (tilesH + 7) / 8 * 8 + 8 }

    /// Scratch for the four padded lines a tile row reads, each split into its even and odd half.
    static func lineScratchCount(tilesH: Int) -> Int { 8 * halfLineLength(tilesH: tilesH) }

    /// The four values along H of eight neighbouring tiles' patches on one line: positions
    /// 2t, 2t+1, 2t+2, 2t+3 = even[t], odd[t], even[t+1], odd[t+1].
    @inline(__always)
    static func patchColumns(_ lines: UnsafeMutablePointer<Float>, line: Int, half: Int, at tile: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let even = UnsafeRawPointer(lines + line * 2 * half + tile)
        let odd = UnsafeRawPointer(lines + line * 2 * half + half + tile)
        let stride = MemoryLayout<Float>.stride
        return (even.loadUnaligned(as: SIMD8<Float>.self), odd.loadUnaligned(as: SIMD8<Float>.self),
                even.loadUnaligned(fromByteOffset: stride, as: SIMD8<Float>.self), odd.loadUnaligned(fromByteOffset: stride, as: SIMD8<Float>.self))
    }

    /// `a + sign * b`, column by column (one row of `Bᵀ d`).
    @inline(__always)
    static func combine(
        _ a: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>), _ b: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>),
        _ sign: Float
    ) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        (a.0 + sign * b.0, a.1 + sign * b.1, a.2 + sign * b.2, a.3 + sign * b.3)
    }

    /// `v = t B` of one row of `Bᵀ d`: its four values at ξ = 4i ... 4i+3, for `lanes` tiles
    /// (fewer than eight only at the end of a tile row, where a full store would reach values
    /// already written for the next channel).
    @inline(__always)
    static func storeRow(_ t: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>), at base: UnsafeMutablePointer<Float>, stride: Int, lanes: Int) {
        let values = (t.0 - t.2, t.1 + t.2, t.2 - t.1, t.1 - t.3)
        if lanes == 8 {
            UnsafeMutableRawPointer(base).storeBytes(of: values.0, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(base + stride).storeBytes(of: values.1, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(base + 2 * stride).storeBytes(of: values.2, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(base + 3 * stride).storeBytes(of: values.3, as: SIMD8<Float>.self)
        } else {
            for lane in 0..<lanes {
                base[lane] = values.0[lane]
                base[stride + lane] = values.1[lane]
                base[2 * stride + lane] = values.2[lane]
                base[3 * stride + lane] = values.3[lane]
            }
        }
    }

    /// `(a0, b0, a1, b1, ..., a7, b7)`.
    @inline(__always)
    static func interleave(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD16<Float> {
        SIMD16(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
    }

    /// `U[ξ][co][ci]` for ξ = 4i+j over the (W, H) axes of the kernel.
    static func transformWeights(_ spec: PreparedConvolution) -> [Float] {
        let (outputs, inputs) = (spec.outChannels, spec.inChannels)
        var transformed = [Float](repeating: 0, count: 16 * outputs * inputs)
        for co in 0..<outputs {
            for ci in 0..<inputs {
                // Weight layout `[Cout][Cin][kD][kW][kH]` with kD = 1: g(kw, kh) at base + 3 kw + kh.
                let base = (co * inputs + ci) * 9
                // Column kh of t = G g (4x3), as a vector over t's four rows.
                func column(_ kh: Int) -> SIMD4<Float> {
                    let (g0, g1, g2) = (spec.weights[base + kh], spec.weights[base + 3 + kh], spec.weights[base + 6 + kh])
                    return SIMD4(g0, (g0 + g1 + g2) * 0.5, (g0 - g1 + g2) * 0.5, g2)
                }
                let (t0, t1, t2) = (column(0), column(1), column(2))
                // u = t Gᵀ (4x4): column j of u, as a vector over its four rows.
                let u = (t0, (t0 + t1 + t2) * 0.5, (t0 - t1 + t2) * 0.5, t2)
                for row in 0..<4 {
                    let at = { (column: Int) in ((row * 4 + column) * outputs + co) * inputs + ci }
                    transformed[at(0)] = u.0[row]
                    transformed[at(1)] = u.1[row]
                    transformed[at(2)] = u.2[row]
                    transformed[at(3)] = u.3[row]
                }
            }
        }
        return transformed
    }

    /// `V = Bᵀ d B` of one input channel for the tiles of `tileRows`, written to
    /// `into[ξ * stride + tile]`, eight tiles at a time (SIMD lanes = neighbouring tiles along H).
    /// Each of the four input lines a tile row reads is first copied into `lines` with the input
    /// transform applied and zeros around it (the padding), split into even and odd padded
    /// positions so that every lane reads contiguous values: tile `t` reads positions 2t ..< 2t+4,
    /// that is even[t], odd[t], even[t+1], odd[t+1].
    static func transformInput(
        _ plane: UnsafeMutablePointer<Float>, size: Size3, tileRows: Range<Int>, scale: Float?, shift: Float,
        into transformed: UnsafeMutablePointer<Float>, stride: Int, lines: UnsafeMutablePointer<Float>
    ) {
        let tilesH = (size.i + 1) / 2
        let tilesW = (size.j + 1) / 2
        let half = halfLineLength(tilesH: tilesH)
        // Neighbouring tile rows share two input lines: each slot remembers which line it holds
        // (slice d, line w from -1 to size.j, as one number).
        var held = SIMD4<Int>(repeating: -1)
        var tile = 0
        for tileRow in tileRows {
            let d = tileRow / tilesW
            let w0 = (tileRow - d * tilesW) * 2 - 1
            for line in 0..<4 {
                let w = w0 + line
                let slot = (w + 1) & 3
                let key = d * (size.j + 2) + w + 1
                guard held[slot] != key else { continue }
                held[slot] = key
                let even = lines + slot * 2 * half
                let odd = even + half
                even.update(repeating: 0, count: 2 * half)
                guard w >= 0 && w < size.j else { continue }
                // Input h sits at padded position h + 1: even h at odd positions, odd h at even ones.
                let values = plane + (d * size.j + w) * size.i
                let pairs = size.i / 2
                // Eight pairs at a time with vector shuffles, the rest one by one.
                var pair = 0
                while pair + 8 <= pairs {
                    var v = UnsafeRawPointer(values + 2 * pair).loadUnaligned(as: SIMD16<Float>.self)
                    if let scale {
                        // ReLU as a masked select: `max` per lane compiles to a scalar loop here.
                        v = v * scale + shift
                        v.replace(with: 0, where: v .< 0)
                    }
                    UnsafeMutableRawPointer(odd + pair).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(even + pair + 1).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
                    pair += 8
                }
                let firstPair = pair
                if let scale {
                    for pair in firstPair..<pairs {
                        odd[pair] = max(values[2 * pair] * scale + shift, 0)
                        even[pair + 1] = max(values[2 * pair + 1] * scale + shift, 0)
                    }
                    if size.i & 1 == 1 { odd[pairs] = max(values[size.i - 1] * scale + shift, 0) }
                } else {
                    for pair in firstPair..<pairs {
                        odd[pair] = values[2 * pair]
                        even[pair + 1] = values[2 * pair + 1]
                    }
                    if size.i & 1 == 1 { odd[pairs] = values[size.i - 1] }
                }
            }
            let first = w0 + 1
            var th = 0
            while th < tilesH {
                // d[line][k] for k = 0...3 along H; t = Bᵀ d along W (lines), v = t B along H.
                let d0 = patchColumns(lines, line: (first + 0) & 3, half: half, at: th)
                let d1 = patchColumns(lines, line: (first + 1) & 3, half: half, at: th)
                let d2 = patchColumns(lines, line: (first + 2) & 3, half: half, at: th)
                let d3 = patchColumns(lines, line: (first + 3) & 3, half: half, at: th)
                let lanes = min(8, tilesH - th)
                let out = transformed + tile + th
                storeRow(combine(d0, d2, -1), at: out, stride: stride, lanes: lanes)
                storeRow(combine(d1, d2, 1), at: out + 4 * stride, stride: stride, lanes: lanes)
                storeRow(combine(d2, d1, -1), at: out + 8 * stride, stride: stride, lanes: lanes)
                storeRow(combine(d1, d3, -1), at: out + 12 * stride, stride: stride, lanes: lanes)
                th += 8
            }
            tile += tilesH
        }
    }

    /// `Y = Aᵀ M A` of one output channel for the tiles of `tileRows`, from `products[ξ * stride + tile]`,
    /// eight tiles at a time, written to the output plane (the last row or column of a tile
    /// dropped at an odd border).
    static func transformOutput(
        _ products: UnsafeMutablePointer<Float>, stride: Int, tileRows: Range<Int>, into plane: UnsafeMutablePointer<Float>,
        size: Size3
    ) {
        let tilesH = (size.i + 1) / 2
        let tilesW = (size.j + 1) / 2
        var tile = 0
        for tileRow in tileRows {
            let d = tileRow / tilesW
            let w = (tileRow - d * tilesW) * 2
            let line0 = plane + (d * size.j + w) * size.i
            let line1 = line0 + size.i
            let secondLine = w + 1 < size.j
            var th = 0
            while th < tilesH {
                let m = products + tile + th
                func load(_ xi: Int) -> SIMD8<Float> { UnsafeRawPointer(m + xi * stride).loadUnaligned(as: SIMD8<Float>.self) }
                // s = Aᵀ m along W, then y = s A along H.
                let s00 = load(0) + load(4) + load(8), s01 = load(1) + load(5) + load(9)
                let s02 = load(2) + load(6) + load(10), s03 = load(3) + load(7) + load(11)
                let s10 = load(4) - load(8) - load(12), s11 = load(5) - load(9) - load(13)
                let s12 = load(6) - load(10) - load(14), s13 = load(7) - load(11) - load(15)
                let y00 = s00 + s01 + s02, y01 = s01 - s02 - s03
                let y10 = s10 + s11 + s12, y11 = s11 - s12 - s13
                let lanes = min(8, tilesH - th)
                if lanes == 8 && 2 * (th + 8) <= size.i {
                    // Eight whole tiles: outputs 2t and 2t+1 interleaved into 16 contiguous values per line.
                    UnsafeMutableRawPointer(line0 + 2 * th).storeBytes(of: interleave(y00, y01), as: SIMD16<Float>.self)
                    if secondLine {
                        UnsafeMutableRawPointer(line1 + 2 * th).storeBytes(of: interleave(y10, y11), as: SIMD16<Float>.self)
                    }
                    th += 8
                    continue
                }
                for lane in 0..<lanes {
                    let h = (th + lane) * 2
                    line0[h] = y00[lane]
                    if secondLine { line1[h] = y10[lane] }
                    if h + 1 < size.i {
                        line0[h + 1] = y01[lane]
                        if secondLine { line1[h + 1] = y11[lane] }
                    }
                }
                th += 8
            }
            tile += tilesH
        }
    }
}
