import AHNet
import CConvolution

/// The in-plane (3,3,1) convolution written directly (`cdirect3x3`, in C, compiled for AVX2 and
/// baseline x86-64) for few output channels: AH-Net's final convolution (124 -> 2 channels at
/// 112x112x16) has two, where a GEMM has two rows (far below OpenBLAS's peak) and a Winograd
/// transform of 124 input channels costs more than the products it saves.
enum DirectConvolution {
    /// Most output channels for the direct path.
    static let largestOutputs = 4

    /// Whether `convolve` takes the direct path for this convolution.
    static func isUsed(for spec: PreparedConvolution) -> Bool {
        Winograd.applies(to: spec) && spec.outChannels <= largestOutputs
    }
}

extension CPUBackend {
    /// The convolution through `cdirect3x3`, the slices shared between the backend's threads.
    func convolveDirect(
        _ input: ActivationRegion<CPUBuffer>, _ spec: PreparedConvolution, inputAffine: CPUAffine?,
        into output: ActivationRegion<CPUBuffer>, epilogue: Epilogue<CPUBuffer, CPUAffine>
    ) {
        let size = input.size
        let workers = max(1, min(threads, size.k))
        let perWorker = cdirect3x3_scratch(size.i, size.j, spec.outChannels)
        let scratch = columnBuffer(count: perWorker * workers)
        let (scale, shift) = (PinnedFloats(inputAffine?.scale), PinnedFloats(inputAffine?.shift))
        withExtendedLifetime((scale, shift)) {
            spec.weights.withUnsafeBufferPointer { weights in
                for sample in 0..<input.batch {
                    let source = input.buffer.pointer + input.offset(sample: sample)
                    let target = output.buffer.pointer + output.offset(sample: sample)
                    parallelFor(size.k) { slice, worker in
                        cdirect3x3(
                            source, size.i, size.j, slice, 1, spec.inChannels, size.product, scale.pointer, shift.pointer,
                            weights.baseAddress, spec.outChannels, target, output.size.product, scratch + worker * perWorker)
                    }
                    applyEpilogue(target, plane: output.size.product, channels: spec.outChannels, bias: spec.bias, epilogue, sample: sample)
                }
            }
        }
    }
}
