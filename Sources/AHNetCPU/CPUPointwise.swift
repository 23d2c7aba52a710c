import AHNet
import CConvolution

/// The fused kernels of CConvolution (`cpointwise`, `ccolumns_multiply`, `cwinograd_multiply`):
/// fused multiply-adds on x86-64 CPUs with AVX2 and FMA, where OpenBLAS's SGEMM plus the passes
/// around it (activating the operand, packing it, storing the products through the epilogue) left
/// the plain AVX2 machines slower against PyTorch than the AVX-512 ones (docs/BENCHMARKS.md,
/// issue 19).
public enum FusedKernels {
    /// Whether this CPU runs them (`cconvolution_fma_available`), read once.
    public static let available = cconvolution_fma_available() != 0

    /// Whether a backend uses them unless told otherwise: where OpenBLAS runs an AVX2 kernel
    /// family (`BLASKernels.current`: Haswell, Zen, ...). Against OpenBLAS's AVX-512 kernels
    /// (SkylakeX and later) these eight-lane kernels measured slower (docs/BENCHMARKS.md).
    public static var preferred: Bool { preferred(besideBLASFamily: BLASKernels.current) }

    /// Whether the kernels are preferred beside this OpenBLAS kernel family.
    static func preferred(besideBLASFamily family: String) -> Bool { !BLASKernels.avx512Families.contains(family) }

    /// Floats of packed operand per chunk of a fused 1x1x1 convolution: 256 KB, within L2 with
    /// the weights beside it.
    static let pointwiseChunkFloats = 64 << 10

    /// Floats of Winograd chunk (transformed input and products) per worker: 1 MB, within L2
    /// between the input transform and the products (OpenBLAS's path keeps 4 MB: its SGEMMs
    /// lost more on the shorter products than the transform gained).
    static let winogradChunkBytes = 1 << 20

    /// Whether `convolve` takes the fused path of `cpointwise` (where the backend uses the
    /// kernels): a 1x1x1 convolution, or a (1,1,k) one along the slices (k odd, stride 1, padding
    /// k/2: AH-Net's dense layers' (1,1,3)), with enough positions to give every thread a few
    /// blocks of 16.
    static func isPointwiseUsed(for spec: PreparedConvolution, positions: Int, threads: Int) -> Bool {
        let taps = spec.kernel.k
        return spec.kernel.i == 1 && spec.kernel.j == 1 && taps % 2 == 1 && spec.stride == .one
            && spec.padding == Size3(0, 0, taps / 2) && positions >= 16 * 4 * threads
    }
}

extension CPUBackend {
    /// The 1x1x1 or (1,1,k) convolution through `cpointwise`: chunks of positions taken in turn by
    /// the backend's threads, each packed (activated, and shifted by whole slices for the taps)
    /// once, multiplied and stored through the epilogue into the output.
    func convolvePointwise(
        _ input: ActivationRegion<CPUBuffer>, _ spec: PreparedConvolution, inputAffine: CPUAffine?,
        into output: ActivationRegion<CPUBuffer>, epilogue: Epilogue<CPUBuffer, CPUAffine>
    ) {
        let positions = output.size.product
        let (inputs, taps) = (spec.inChannels, spec.kernel.k)
        let store = EpilogueStore(bias: spec.bias, epilogue, channels: spec.outChannels, plane: positions)
        let workers = max(1, min(threads, positions / 16))
        let perWorkerShare = ((positions + workers - 1) / workers + 15) / 16 * 16
        let chunk = min(max(16, FusedKernels.pointwiseChunkFloats / (inputs * taps) / 16 * 16), perWorkerShare)
        let chunks = (positions + chunk - 1) / chunk
        let perWorker = cpointwise_scratch(inputs * taps, chunk)
        let scratch = columnBuffer(count: perWorker * workers)
        let inputScale = PinnedFloats(inputAffine?.scale)
        let inputShift = PinnedFloats(inputAffine?.shift)
        let scale = PinnedFloats(store.scale)
        let shift = PinnedFloats(store.shift)
        withExtendedLifetime((inputScale, inputShift, scale, shift)) {
            spec.weights.withUnsafeBufferPointer { weights in
                for sample in 0..<input.batch {
                    let source = input.buffer.pointer + input.offset(sample: sample)
                    let target = output.buffer.pointer + output.offset(sample: sample)
                    let residual = store.residual.map { $0.buffer.pointer + $0.offset(sample: sample) }
                    parallelFor(chunks) { index, worker in
                        let start = index * chunk
                        cpointwise(
                            source, input.size.product, inputs, taps, input.size.i * input.size.j, inputScale.pointer,
                            inputShift.pointer, weights.baseAddress,
                            spec.outChannels, scale.pointer, shift.pointer, residual, store.residual?.size.product ?? 0,
                            store.relu ? 1 : 0, target, positions, start, min(chunk, positions - start),
                            scratch + worker * perWorker)
                    }
                }
            }
        }
    }
}
