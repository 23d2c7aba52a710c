import AHNet

/// Winograd F(2x2, 3x3) for the in-plane (3,3,1) convolutions with stride 1 and padding (1,1,0),
/// about half of AH-Net's work. Each 2x2 block of outputs in a slice comes from a 4x4 input
/// patch through 16 independent products instead of 36, so the GEMMs do 16/36 of im2col's
/// multiply-adds, and the transformed input is 4 values per input voxel instead of im2col's 9.
///
/// Transforms (correlation, as PyTorch's convolution): `V = Bᵀ d B`, `U = G g Gᵀ`,
/// `Y = Aᵀ (U ⊙ V) A` with
/// `Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]`, `G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]`,
/// `Aᵀ = [1 1 1 0; 0 1 -1 -1]`; the 16 element-wise products over all channels are 16 GEMMs
/// `M[ξ] = U[ξ] · V[ξ]` of shape `[Cout × Cin] · [Cin × tiles]`.
enum Winograd {
    /// Fewest 2x2 tiles per sample worth the transforms (measured: from layer3's 98 tiles on it
    /// is faster); the 7x7 layers of layer4, with the largest weights, stay on im2col.
    static let minimumTiles = 64

    /// Whether `convolve` takes the Winograd path for this convolution and input size.
    static func isUsed(for spec: PreparedConvolution, input size: SpatialSize) -> Bool {
        applies(to: spec) && ((size.h + 1) / 2) * ((size.w + 1) / 2) * size.d >= minimumTiles
    }

    /// Whether the Winograd path computes this convolution exactly as the im2col path does.
    static func applies(to spec: PreparedConvolution) -> Bool {
        spec.kernel == Window3(3, 3, 1) && spec.stride == .one && spec.padding == Window3(1, 1, 0)
    }

    /// `U[ξ][co][ci]` for ξ = 4i+j over the (W, H) axes of the kernel.
    static func transformWeights(_ spec: PreparedConvolution) -> [Float] {
        let (outputs, inputs) = (spec.outChannels, spec.inChannels)
        var transformed = [Float](repeating: 0, count: 16 * outputs * inputs)
        for co in 0..<outputs {
            for ci in 0..<inputs {
                // Weight layout `[Cout][Cin][kD][kW][kH]` with kD = 1: g[kw][kh].
                let base = (co * inputs + ci) * 9
                var g = [[Float]](repeating: [0, 0, 0], count: 3)
                for kw in 0..<3 { for kh in 0..<3 { g[kw][kh] = spec.weights[base + kw * 3 + kh] } }
                // t = G g (4x3), then u = t Gᵀ (4x4).
                var t = [[Float]](repeating: [0, 0, 0], count: 4)
                for column in 0..<3 {
                    let (g0, g1, g2) = (g[0][column], g[1][column], g[2][column])
                    t[0][column] = g0
                    t[1][column] = (g0 + g1 + g2) * 0.5
                    t[2][column] = (g0 - g1 + g2) * 0.5
                    t[3][column] = g2
                }
                for row in 0..<4 {
                    let (t0, t1, t2) = (t[row][0], t[row][1], t[row][2])
                    let u = [t0, (t0 + t1 + t2) * 0.5, (t0 - t1 + t2) * 0.5, t2]
                    for column in 0..<4 {
                        transformed[((row * 4 + column) * outputs + co) * inputs + ci] = u[column]
                    }
                }
            }
        }
        return transformed
    }
}

extension CPUBackend {
    /// The convolution through Winograd F(2x2, 3x3); `convolve` calls it when `Winograd.applies`.
    /// Tile rows (a slice's tiles along H at one W) are split between the backend's threads; each
    /// transforms a chunk of them, runs 16 single-threaded SGEMMs and writes its outputs.
    func convolveWinograd(
        _ input: ActivationRegion<CPUBuffer>, _ convolution: CPUConvolution, inputAffine: CPUAffine?,
        into output: ActivationRegion<CPUBuffer>, epilogue: Epilogue<CPUBuffer, CPUAffine>
    ) {
        let spec = convolution.spec
        let size = input.size
        let (inputs, outputs) = (spec.inChannels, spec.outChannels)
        let tilesH = (size.h + 1) / 2
        let tileRows = size.d * ((size.w + 1) / 2)
        let workers = max(1, min(threads, tileRows))
        // Chunk: enough tile rows for about 4 MB of transformed input and products per worker
        // (cache-sized; within the im2col budget when that is smaller).
        let bytesPerTile = 16 * (inputs + outputs) * MemoryLayout<Float>.stride
        let chunkBytes = min(4 << 20, im2colBudgetBytes / workers)
        let rowsPerChunk = max(1, min((tileRows + workers - 1) / workers, chunkBytes / (bytesPerTile * tilesH)))
        let tilesPerChunk = rowsPerChunk * tilesH
        let scratchRow = tilesH * 2 + 2
        let perWorker = 16 * (inputs + outputs) * tilesPerChunk + 4 * scratchRow
        let scratch = columnBuffer(count: perWorker * workers)
        let weights = convolution.winogradWeights()
        weights.withUnsafeBufferPointer { weights in
            guard let transformedWeights = weights.baseAddress else { return }
            for sample in 0..<input.batch {
                let source = input.buffer.pointer + input.offset(sample: sample)
                let target = output.buffer.pointer + output.offset(sample: sample)
                parallelFor(workers) { worker in
                    let transformed = scratch + worker * perWorker
                    let products = transformed + 16 * inputs * tilesPerChunk
                    let rows = products + 16 * outputs * tilesPerChunk
                    var first = tileRows * worker / workers
                    let end = tileRows * (worker + 1) / workers
                    while first < end {
                        let count = min(rowsPerChunk, end - first)
                        let tiles = count * tilesH
                        for channel in 0..<inputs {
                            transformInput(
                                source + channel * size.count, size: size, tileRows: first..<(first + count),
                                scale: inputAffine?.scale[channel], shift: inputAffine?.shift[channel] ?? 0,
                                into: transformed + channel * tiles, stride: inputs * tiles, rows: rows)
                        }
                        for xi in 0..<16 {
                            BLAS.sgemm(
                                m: outputs, n: tiles, k: inputs, a: transformedWeights + xi * outputs * inputs, lda: inputs,
                                b: transformed + xi * inputs * tiles, ldb: tiles, c: products + xi * outputs * tiles, ldc: tiles)
                        }
                        for channel in 0..<outputs {
                            transformOutput(
                                products + channel * tiles, stride: outputs * tiles, tileRows: first..<(first + count),
                                into: target + channel * output.size.count, size: output.size)
                        }
                        first += count
                    }
                }
                applyEpilogue(target, plane: output.size.count, channels: outputs, bias: spec.bias, epilogue, sample: sample)
            }
        }
    }

    /// `V = Bᵀ d B` of one input channel for the tiles of `tileRows`, written to
    /// `into[ξ * stride + tile]`. Each of the four input lines a tile row reads is first copied
    /// into `rows` with the input transform applied and zeros around it (the padding).
    private func transformInput(
        _ plane: UnsafeMutablePointer<Float>, size: SpatialSize, tileRows: Range<Int>, scale: Float?, shift: Float,
        into transformed: UnsafeMutablePointer<Float>, stride: Int, rows: UnsafeMutablePointer<Float>
    ) {
        let tilesH = (size.h + 1) / 2
        let tilesW = (size.w + 1) / 2
        let rowLength = tilesH * 2 + 2
        var tile = 0
        for tileRow in tileRows {
            let d = tileRow / tilesW
            let w0 = (tileRow - d * tilesW) * 2 - 1
            for line in 0..<4 {
                let row = rows + line * rowLength
                let w = w0 + line
                row.update(repeating: 0, count: rowLength)
                guard w >= 0 && w < size.w else { continue }
                let values = plane + (d * size.w + w) * size.h
                if let scale {
                    for h in 0..<size.h { row[h + 1] = max(values[h] * scale + shift, 0) }
                } else {
                    (row + 1).update(from: values, count: size.h)
                }
            }
            let (r0, r1, r2, r3) = (rows, rows + rowLength, rows + 2 * rowLength, rows + 3 * rowLength)
            for th in 0..<tilesH {
                let h = th * 2
                // t = Bᵀ d along W (rows), column by column.
                let p0 = SIMD4(r0[h], r0[h + 1], r0[h + 2], r0[h + 3])
                let p1 = SIMD4(r1[h], r1[h + 1], r1[h + 2], r1[h + 3])
                let p2 = SIMD4(r2[h], r2[h + 1], r2[h + 2], r2[h + 3])
                let p3 = SIMD4(r3[h], r3[h + 1], r3[h + 2], r3[h + 3])
                let t = (p0 - p2, p1 + p2, p2 - p1, p1 - p3)
                // v = t B along H: the same combination of each row's four columns.
                let out = transformed + tile
                storeRowTransform(t.0, at: out, stride: stride)
                storeRowTransform(t.1, at: out + 4 * stride, stride: stride)
                storeRowTransform(t.2, at: out + 8 * stride, stride: stride)
                storeRowTransform(t.3, at: out + 12 * stride, stride: stride)
                tile += 1
            }
        }
    }

    /// `v = t B` of one row of the half-transformed patch: its four values at `ξ = 4i + 0 ... 4i + 3`.
    @inline(__always)
    private func storeRowTransform(_ t: SIMD4<Float>, at base: UnsafeMutablePointer<Float>, stride: Int) {
        base[0] = t[0] - t[2]
        base[stride] = t[1] + t[2]
        base[2 * stride] = t[2] - t[1]
        base[3 * stride] = t[1] - t[3]
    }

    /// `Y = Aᵀ M A` of one output channel for the tiles of `tileRows`, from `products[ξ * stride + tile]`,
    /// written to the output plane (the last row or column of a tile dropped at an odd border).
    private func transformOutput(
        _ products: UnsafeMutablePointer<Float>, stride: Int, tileRows: Range<Int>, into plane: UnsafeMutablePointer<Float>,
        size: SpatialSize
    ) {
        let tilesH = (size.h + 1) / 2
        let tilesW = (size.w + 1) / 2
        var tile = 0
        for tileRow in tileRows {
            let d = tileRow / tilesW
            let w = (tileRow - d * tilesW) * 2
            let line0 = plane + (d * size.w + w) * size.h
            let secondLine = w + 1 < size.w
            for th in 0..<tilesH {
                let m = products + tile
                let m0 = SIMD4(m[0], m[stride], m[2 * stride], m[3 * stride])
                let m1 = SIMD4(m[4 * stride], m[5 * stride], m[6 * stride], m[7 * stride])
                let m2 = SIMD4(m[8 * stride], m[9 * stride], m[10 * stride], m[11 * stride])
                let m3 = SIMD4(m[12 * stride], m[13 * stride], m[14 * stride], m[15 * stride])
                // s = Aᵀ m along W, then y = s A along H.
                let s0 = m0 + m1 + m2
                let s1 = m1 - m2 - m3
                let h = th * 2
                line0[h] = s0[0] + s0[1] + s0[2]
                if secondLine { line0[size.h + h] = s1[0] + s1[1] + s1[2] }
                if h + 1 < size.h {
                    line0[h + 1] = s0[1] - s0[2] - s0[3]
                    if secondLine { line0[size.h + h + 1] = s1[1] - s1[2] - s1[3] }
                }
                tile += 1
            }
        }
    }
}
