import AHNet
import CConvolution

/// Winograd convolution for the in-plane (3,3,1) convolutions with stride 1 and padding (1,1,0):
/// 41 % of AH-Net's multiply-adds go through here at 224x224x32. F(m x m, 3x3) computes each
/// m x m block of outputs in a slice from an (m+2) x (m+2) input patch through (m+2)² independent
/// products, summed over the input channels as (m+2)² GEMMs `M[ξ] = U[ξ] · V[ξ]` of shape
/// `[Cout × Cin] · [Cin × tiles]`; `V = Bᵀ d B` transforms the input, `U = G g Gᵀ` the weights and
/// `Y = Aᵀ M A` gives the outputs.
enum Winograd {
    /// Fewest tiles per sample worth the transforms (measured: from layer3's 98 2x2 tiles on it
    /// is faster); the 7x7 layers of layer4, with the largest weights, stay on im2col.
    static let minimumTiles = 64

    /// Most padding F(4x4, 3x3) may add to a plane, as a ratio of areas: tiles that reach past the
    /// plane's edge compute outputs that are thrown away (a 14x14 plane in 4x4 tiles is 16x16,
    /// 1.31), and where that waste outweighs its 44 % fewer products F(2x2, 3x3) is used.
    static let largestPaddingF4 = 1.15

    /// Whether `convolve` takes a Winograd path for this convolution and input size.
    static func isUsed(for spec: PreparedConvolution, input size: Size3) -> Bool {
        applies(to: spec) && tiles(WinogradF2.self, size) >= minimumTiles
    }

    /// Whether the Winograd paths compute this convolution exactly as the im2col path does.
    static func applies(to spec: PreparedConvolution) -> Bool {
        spec.kernel == Size3(3, 3, 1) && spec.stride == .one && spec.padding == Size3(1, 1, 0)
    }

    /// The tiling for a plane size, where `isUsed`: F(4x4, 3x3) (2.25 products per output instead
    /// of 4, and 2.25 transformed values per input voxel instead of 4) unless it pads the plane by
    /// more than `largestPaddingF4` or has too few tiles.
    static func tiling(for size: Size3) -> any WinogradTiling.Type {
        let tile = WinogradF4.tile
        let covered = Double(((size.i + tile - 1) / tile * tile) * ((size.j + tile - 1) / tile * tile))
        let padding = covered / Double(size.i * size.j)
        return padding <= largestPaddingF4 && tiles(WinogradF4.self, size) >= minimumTiles ? WinogradF4.self : WinogradF2.self
    }

    /// Tiles per sample of a plane size with this tiling.
    static func tiles(_ tiling: any WinogradTiling.Type, _ size: Size3) -> Int {
        let tile = tiling.tile
        return ((size.i + tile - 1) / tile) * ((size.j + tile - 1) / tile) * size.k
    }
}

/// One Winograd tiling F(m x m, 3x3): its transforms, for `convolveWinograd`. Layouts: the
/// transformed weights `U[ξ][Cout][Cin]`, the transformed input `V[Cin][ξ][tile]` and the
/// products `M[Cout][ξ][tile]`, with ξ = (points × i + k) over the patch's (W, H) axes; tiles run
/// along H first, then W, then D. A channel's rows lie together, so that a transform writes or
/// reads one compact block; each row has eight spare floats after its tiles, so that the
/// transforms may store and load eight tiles at once.
protocol WinogradTiling {
    /// m: outputs per tile along each in-plane axis.
    static var tile: Int { get }
    /// m + 2: the patch size along each in-plane axis; `points²` products per tile.
    static var points: Int { get }
    /// `U = G g Gᵀ` for every output and input channel, as `U[ξ][Cout][Cin]`.
    static func transformWeights(_ spec: PreparedConvolution) -> [Float]
    /// Floats of scratch `transformInput` needs for its padded input lines.
    static func lineScratchCount(tilesH: Int) -> Int
    /// `V = Bᵀ d B` of one input channel `plane` (activated as `max(x * scale + shift, 0)` when
    /// `scale` is given) for the tiles of `tileRows`, written to `into[ξ * stride + tile]`.
    static func transformInput(
        _ plane: UnsafeMutablePointer<Float>, size: Size3, tileRows: Range<Int>, scale: Float?, shift: Float,
        into transformed: UnsafeMutablePointer<Float>, stride: Int, lines: UnsafeMutablePointer<Float>)
    /// `Y = Aᵀ M A` of one output channel for the tiles of `tileRows`, from
    /// `products[ξ * stride + tile]`, written to the output plane (outputs past the edge dropped).
    static func transformOutput(
        _ products: UnsafeMutablePointer<Float>, stride: Int, tileRows: Range<Int>, into plane: UnsafeMutablePointer<Float>,
        size: Size3)
}

extension CPUBackend {
    /// The convolution through Winograd; `convolve` calls it when `Winograd.isUsed`.
    func convolveWinograd(
        _ input: ActivationRegion<CPUBuffer>, _ convolution: CPUConvolution, inputAffine: CPUAffine?,
        into output: ActivationRegion<CPUBuffer>, epilogue: Epilogue<CPUBuffer, CPUAffine>
    ) {
        convolveWinograd(Winograd.tiling(for: input.size), input, convolution, inputAffine: inputAffine, into: output, epilogue: epilogue)
    }

    /// The convolution through one Winograd tiling. Tile rows (a slice's tiles along H at one W)
    /// are cut into chunks that the backend's threads take in turn; for each, a thread transforms
    /// the chunk, runs `points²` single-threaded SGEMMs (or `cwinograd_multiply` once, with the
    /// fused kernels) and writes its outputs.
    func convolveWinograd<Tiling: WinogradTiling>(
        _ tiling: Tiling.Type, _ input: ActivationRegion<CPUBuffer>, _ convolution: CPUConvolution, inputAffine: CPUAffine?,
        into output: ActivationRegion<CPUBuffer>, epilogue: Epilogue<CPUBuffer, CPUAffine>
    ) {
        let spec = convolution.spec
        let size = input.size
        let (inputs, outputs) = (spec.inChannels, spec.outChannels)
        let products = Tiling.points * Tiling.points
        let tilesH = (size.i + Tiling.tile - 1) / Tiling.tile
        let tileRows = size.k * ((size.j + Tiling.tile - 1) / Tiling.tile)
        let workers = max(1, min(threads, tileRows))
        // Chunk: enough tile rows for about 4 MB of transformed input and products per worker
        // with OpenBLAS (measured: 1 to 8 MB alike), 1 MB with the fused kernels (in L2: the input
        // transform about a quarter faster); within the im2col budget when that is smaller.
        let bytesPerTile = products * (inputs + outputs) * MemoryLayout<Float>.stride
        let chunkBytes = min(fusedKernels ? FusedKernels.winogradChunkBytes : 4 << 20, im2colBudgetBytes / workers)
        let rowsPerChunk = max(1, min((tileRows + workers - 1) / workers, chunkBytes / (bytesPerTile * tilesH)))
        let tilesPerChunk = rowsPerChunk * tilesH
        let perWorker = products * (inputs + outputs) * (tilesPerChunk + 8) + Tiling.lineScratchCount(tilesH: tilesH)
        let scratch = columnBuffer(count: perWorker * workers)
        let weights = convolution.winogradWeights(Tiling.self)
        weights.withUnsafeBufferPointer { weights in
            guard let transformedWeights = weights.baseAddress else { return }
            for sample in 0..<input.batch {
                let source = input.buffer.pointer + input.offset(sample: sample)
                let target = output.buffer.pointer + output.offset(sample: sample)
                parallelFor((tileRows + rowsPerChunk - 1) / rowsPerChunk) { index, worker in
                    let transformed = scratch + worker * perWorker
                    let multiplied = transformed + products * inputs * (tilesPerChunk + 8)
                    let lines = multiplied + products * outputs * (tilesPerChunk + 8)
                    let first = index * rowsPerChunk
                    let count = min(rowsPerChunk, tileRows - first)
                    let tiles = count * tilesH
                    let pitch = tiles + 8
                    for channel in 0..<inputs {
                        Tiling.transformInput(
                            source + channel * size.product, size: size, tileRows: first..<(first + count),
                            scale: inputAffine?.scale[channel], shift: inputAffine?.shift[channel] ?? 0,
                            into: transformed + channel * products * pitch, stride: pitch, lines: lines)
                    }
                    if fusedKernels {
                        cwinograd_multiply(transformedWeights, transformed, multiplied, outputs, inputs, products, tiles, pitch)
                    } else {
                        for xi in 0..<products {
                            BLAS.sgemm(
                                m: outputs, n: tiles, k: inputs, a: transformedWeights + xi * outputs * inputs, lda: inputs,
                                b: transformed + xi * pitch, ldb: products * pitch, c: multiplied + xi * pitch, ldc: products * pitch)
                        }
                    }
                    for channel in 0..<outputs {
                        Tiling.transformOutput(
                            multiplied + channel * products * pitch, stride: pitch, tileRows: first..<(first + count),
                            into: target + channel * output.size.product, size: output.size)
                    }
                }
                applyEpilogue(target, plane: output.size.product, channels: outputs, bias: spec.bias, epilogue, sample: sample)
            }
        }
    }
}
