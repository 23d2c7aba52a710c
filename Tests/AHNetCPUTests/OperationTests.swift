import Testing
@testable import AHNet
@testable import AHNetCPU

/// Each backend operation against a plain reference in double precision (loops over the MONAI
/// definition), on odd sizes, strides, paddings, channel slices and batches of two.
@Suite("CPU operations vs double-precision reference")
struct OperationTests {
    struct ConvCase: CustomTestStringConvertible, Sendable {
        var inChannels: Int, outChannels: Int
        var kernel: Size3, stride: Size3, padding: Size3
        var size: Size3
        var inputAffine: Bool, bias: Bool, residual: Bool, relu: Bool
        var budget: Int = 64 << 20
        var testDescription: String { "\(inChannels)->\(outChannels) k\(kernel) s\(stride) p\(padding) on \(size)" }
    }

    static let convCases: [ConvCase] = [
        ConvCase(inChannels: 5, outChannels: 7, kernel: Size3(3, 3, 1), stride: Size3(2, 2, 1), padding: Size3(1, 1, 0),
                 size: Size3(9, 7, 3), inputAffine: true, bias: true, residual: true, relu: true),
        ConvCase(inChannels: 1, outChannels: 4, kernel: Size3(7, 7, 3), stride: Size3(2, 2, 1), padding: Size3(3, 3, 1),
                 size: Size3(11, 13, 5), inputAffine: false, bias: false, residual: false, relu: false),
        ConvCase(inChannels: 6, outChannels: 6, kernel: Size3(1, 1, 3), stride: .one, padding: Size3(0, 0, 1),
                 size: Size3(3, 5, 4), inputAffine: true, bias: false, residual: true, relu: false),
        ConvCase(inChannels: 9, outChannels: 3, kernel: .one, stride: .one, padding: .zero,
                 size: Size3(7, 5, 2), inputAffine: false, bias: true, residual: false, relu: true),
        ConvCase(inChannels: 9, outChannels: 5, kernel: .one, stride: .one, padding: .zero,
                 size: Size3(7, 5, 3), inputAffine: true, bias: false, residual: false, relu: false),
        ConvCase(inChannels: 4, outChannels: 8, kernel: .one, stride: Size3(2, 2, 1), padding: .zero,
                 size: Size3(6, 9, 2), inputAffine: false, bias: true, residual: false, relu: false),
        // Strided im2col from prepared (activated, phase-split) lines, in chunks that end
        // inside an output line; a stride of 3 along H.
        ConvCase(inChannels: 3, outChannels: 5, kernel: Size3(7, 7, 3), stride: Size3(2, 2, 1), padding: Size3(3, 3, 1),
                 size: Size3(13, 9, 4), inputAffine: true, bias: true, residual: false, relu: true, budget: 1 << 16),
        ConvCase(inChannels: 4, outChannels: 3, kernel: Size3(3, 3, 1), stride: Size3(3, 2, 1), padding: Size3(1, 1, 0),
                 size: Size3(14, 7, 2), inputAffine: true, bias: false, residual: false, relu: false),
        // Few positions, many output channels: the threads split the channels (layer4's 7x7 planes).
        ConvCase(inChannels: 6, outChannels: 40, kernel: Size3(3, 3, 1), stride: .one, padding: Size3(1, 1, 0),
                 size: Size3(7, 5, 1), inputAffine: true, bias: true, residual: true, relu: true),
        ConvCase(inChannels: 9, outChannels: 33, kernel: .one, stride: .one, padding: .zero,
                 size: Size3(5, 3, 2), inputAffine: false, bias: true, residual: false, relu: true),
        ConvCase(inChannels: 7, outChannels: 32, kernel: .one, stride: .one, padding: .zero,
                 size: Size3(7, 7, 1), inputAffine: true, bias: false, residual: true, relu: false),
        // Winograd F(4x4, 3x3) (stride 1, enough tiles); a small budget forces several chunks.
        ConvCase(inChannels: 5, outChannels: 7, kernel: Size3(3, 3, 1), stride: .one, padding: Size3(1, 1, 0),
                 size: Size3(40, 36, 3), inputAffine: true, bias: true, residual: false, relu: true, budget: 1 << 16),
        // Winograd F(4x4, 3x3) on odd sizes (tiles reach past the plane by up to three outputs),
        // with activation and several chunks.
        ConvCase(inChannels: 7, outChannels: 5, kernel: Size3(3, 3, 1), stride: .one, padding: Size3(1, 1, 0),
                 size: Size3(45, 39, 2), inputAffine: true, bias: true, residual: true, relu: true, budget: 1 << 16),
        // F(4x4, 3x3) with planes longer than 16 along H (the vector path of the line split).
        ConvCase(inChannels: 3, outChannels: 6, kernel: Size3(3, 3, 1), stride: .one, padding: Size3(1, 1, 0),
                 size: Size3(70, 12, 3), inputAffine: true, bias: false, residual: false, relu: false),
        // Few outputs (the final convolution): the direct path, activated or not, odd sizes.
        ConvCase(inChannels: 9, outChannels: 2, kernel: Size3(3, 3, 1), stride: .one, padding: Size3(1, 1, 0),
                 size: Size3(21, 11, 3), inputAffine: true, bias: true, residual: true, relu: true),
        ConvCase(inChannels: 4, outChannels: 1, kernel: Size3(3, 3, 1), stride: .one, padding: Size3(1, 1, 0),
                 size: Size3(16, 5, 1), inputAffine: false, bias: false, residual: false, relu: false),
        // Winograd F(2x2, 3x3) on odd sizes: the last tile row and column are half outside.
        ConvCase(inChannels: 11, outChannels: 5, kernel: Size3(3, 3, 1), stride: .one, padding: Size3(1, 1, 0),
                 size: Size3(17, 15, 2), inputAffine: false, bias: true, residual: true, relu: false),
        // Plain 1x1x1 with enough positions for the fused kernels' own path (`cpointwise`): 306
        // positions (not a multiple of 16: a short last block), every part of the epilogue; 20
        // output channels (blocks of five) without activation; 7 (a block of six and one of one).
        ConvCase(inChannels: 9, outChannels: 7, kernel: .one, stride: .one, padding: .zero,
                 size: Size3(17, 9, 2), inputAffine: true, bias: true, residual: true, relu: true, budget: 1 << 16),
        ConvCase(inChannels: 13, outChannels: 20, kernel: .one, stride: .one, padding: .zero,
                 size: Size3(16, 16, 1), inputAffine: false, bias: true, residual: false, relu: false),
        // (1,1,3) with enough positions for `cpointwise`'s taps along the slices (two chunks, each
        // reading a slice of the other's; FusedKernelTests cuts chunks inside slices).
        ConvCase(inChannels: 5, outChannels: 7, kernel: Size3(1, 1, 3), stride: .one, padding: Size3(0, 0, 1),
                 size: Size3(9, 8, 4), inputAffine: true, bias: false, residual: true, relu: false, budget: 1 << 16),
        // Too few tiles for Winograd: the same convolution through im2col.
        ConvCase(inChannels: 6, outChannels: 5, kernel: Size3(3, 3, 1), stride: .one, padding: Size3(1, 1, 0),
                 size: Size3(7, 5, 1), inputAffine: true, bias: false, residual: false, relu: true),
    ]

    @Test func winogradIsUsedWhereTheCasesSayAndNotElsewhere() {
        func spec(_ kernel: Size3, _ stride: Size3, _ padding: Size3) -> PreparedConvolution {
            let count = kernel.i * kernel.j * kernel.k
            return PreparedConvolution(outChannels: 1, inChannels: 1, kernel: kernel, stride: stride, padding: padding, weights: Array(repeating: 0, count: count), bias: nil)
        }
        let inPlane = spec(Size3(3, 3, 1), .one, Size3(1, 1, 0))
        #expect(Winograd.isUsed(for: inPlane, input: Size3(40, 36, 3)))
        #expect(Winograd.isUsed(for: inPlane, input: Size3(17, 15, 2)))
        #expect(!Winograd.isUsed(for: inPlane, input: Size3(7, 5, 1)))
        #expect(!Winograd.isUsed(for: spec(Size3(3, 3, 1), Size3(2, 2, 1), Size3(1, 1, 0)), input: Size3(40, 36, 3)))
        #expect(!Winograd.isUsed(for: spec(Size3(1, 1, 3), .one, Size3(0, 0, 1)), input: Size3(40, 36, 3)))
        // Four or fewer output channels: the direct path, whatever the size.
        #expect(DirectConvolution.isUsed(for: PreparedConvolution(outChannels: 2, inChannels: 3, kernel: Size3(3, 3, 1), stride: .one, padding: Size3(1, 1, 0), weights: Array(repeating: 0, count: 54), bias: nil)))
        #expect(!DirectConvolution.isUsed(for: PreparedConvolution(outChannels: 5, inChannels: 1, kernel: Size3(3, 3, 1), stride: .one, padding: Size3(1, 1, 0), weights: Array(repeating: 0, count: 45), bias: nil)))
        #expect(!DirectConvolution.isUsed(for: PreparedConvolution(outChannels: 2, inChannels: 1, kernel: Size3(3, 3, 1), stride: Size3(2, 2, 1), padding: Size3(1, 1, 0), weights: Array(repeating: 0, count: 18), bias: nil)))
        // F(4x4, 3x3) where it pads little, F(2x2, 3x3) where it would pad much or have few tiles.
        #expect(Winograd.tiling(for: Size3(40, 36, 3)).tile == 4)
        #expect(Winograd.tiling(for: Size3(45, 39, 2)).tile == 4)
        #expect(Winograd.tiling(for: Size3(70, 12, 3)).tile == 4)
        #expect(Winograd.tiling(for: Size3(112, 112, 16)).tile == 4)
        #expect(Winograd.tiling(for: Size3(17, 15, 2)).tile == 2)
        #expect(Winograd.tiling(for: Size3(14, 14, 2)).tile == 2)
        #expect(Winograd.tiling(for: Size3(16, 16, 3)).tile == 2)
    }

    /// Every case with OpenBLAS's SGEMM and with the fused kernels (where the CPU has them; the
    /// second run repeats the first elsewhere).
    @Test(arguments: convCases, [false, true])
    func convolution(_ c: ConvCase, fused: Bool) throws {
        var random = SplitMix64(seed: UInt64(c.inChannels * 131 + c.outChannels * 7 + c.size.product))
        let batch = 2
        let backend = CPUBackend(threads: 2, im2colBudgetBytes: c.budget, fusedKernels: fused)
        #expect(backend.fusedKernels == (fused && FusedKernels.available))
        let kernelCount = c.kernel.i * c.kernel.j * c.kernel.k
        // MONAI-layout weight (Cout, Cin, kH, kW, kD) and an optional BatchNorm to fold.
        let weight = (0..<(c.outChannels * c.inChannels * kernelCount)).map { _ in random.nextFloat() }
        var stateDict: StateDict = ["conv.weight": HostTensor(shape: [c.outChannels, c.inChannels, c.kernel.i, c.kernel.j, c.kernel.k], values: weight)]
        if c.bias {
            stateDict["bn.weight"] = HostTensor(shape: [c.outChannels], values: (0..<c.outChannels).map { _ in random.nextFloat() })
            stateDict["bn.bias"] = HostTensor(shape: [c.outChannels], values: (0..<c.outChannels).map { _ in random.nextFloat() })
            stateDict["bn.running_mean"] = HostTensor(shape: [c.outChannels], values: (0..<c.outChannels).map { _ in random.nextFloat() })
            stateDict["bn.running_var"] = HostTensor(shape: [c.outChannels], values: (0..<c.outChannels).map { _ in random.nextFloat() + 1.5 })
        }
        let prepared = prepareConvolution(stateDict, "conv", stride: c.stride, padding: c.padding, foldingBatchNorm: c.bias ? "bn" : nil)
        let affine = ChannelAffine(scale: (0..<c.inChannels).map { _ in random.nextFloat() }, shift: (0..<c.inChannels).map { _ in random.nextFloat() })

        // The input is a channel slice (offset 2) of a wider buffer; the output too.
        let inputBufferChannels = c.inChannels + 3
        let inputBuffer = try backend.makeBuffer(count: batch * inputBufferChannels * c.size.product)
        for index in 0..<inputBuffer.count { inputBuffer.pointer[index] = random.nextFloat() }
        let input = ActivationRegion(buffer: inputBuffer, batch: batch, bufferChannels: inputBufferChannels, channelOffset: 2, channels: c.inChannels, size: c.size)
        let outSize = prepared.outputSize(for: c.size)
        let outputBufferChannels = c.outChannels + 1
        let outputBuffer = try backend.makeBuffer(count: batch * outputBufferChannels * outSize.product)
        outputBuffer.pointer.update(repeating: 42, count: outputBuffer.count)
        let output = ActivationRegion(buffer: outputBuffer, batch: batch, bufferChannels: outputBufferChannels, channelOffset: 1, channels: c.outChannels, size: outSize)
        let residualBuffer = try backend.makeBuffer(count: batch * c.outChannels * outSize.product)
        for index in 0..<residualBuffer.count { residualBuffer.pointer[index] = random.nextFloat() }
        let residual = ActivationRegion(buffer: residualBuffer, batch: batch, bufferChannels: c.outChannels, size: outSize)

        try backend.convolve(
            input, backend.prepare(prepared), inputAffine: c.inputAffine ? backend.prepare(affine) : nil, into: output,
            epilogue: Epilogue(residual: c.residual ? residual : nil, relu: c.relu))

        let bn = c.bias ? BatchNorm(stateDict, "bn") : nil
        var worst = 0.0
        for n in 0..<batch {
            for o in 0..<c.outChannels {
                for od in 0..<outSize.k {
                    for ow in 0..<outSize.j {
                        for oh in 0..<outSize.i {
                            var sum = 0.0
                            for i in 0..<c.inChannels {
                                for kh in 0..<c.kernel.i {
                                    for kw in 0..<c.kernel.j {
                                        for kd in 0..<c.kernel.k {
                                            let h = oh * c.stride.i - c.padding.i + kh
                                            let w = ow * c.stride.j - c.padding.j + kw
                                            let d = od * c.stride.k - c.padding.k + kd
                                            guard h >= 0, h < c.size.i, w >= 0, w < c.size.j, d >= 0, d < c.size.k else { continue }
                                            var x = Double(inputBuffer.pointer[input.offset(sample: n, channel: i) + (d * c.size.j + w) * c.size.i + h])
                                            if c.inputAffine { x = max(x * Double(affine.scale[i]) + Double(affine.shift[i]), 0) }
                                            let wIndex = (((o * c.inChannels + i) * c.kernel.i + kh) * c.kernel.j + kw) * c.kernel.k + kd
                                            sum += Double(weight[wIndex]) * x
                                        }
                                    }
                                }
                            }
                            if let bn {
                                sum = (sum - Double(bn.mean[o])) / (Double(bn.variance[o]) + 1e-5).squareRoot() * Double(bn.gamma[o]) + Double(bn.beta[o])
                            }
                            let spatial = (od * outSize.j + ow) * outSize.i + oh
                            if c.residual { sum += Double(residualBuffer.pointer[residual.offset(sample: n, channel: o) + spatial]) }
                            if c.relu { sum = max(sum, 0) }
                            let actual = Double(outputBuffer.pointer[output.offset(sample: n, channel: o) + spatial])
                            worst = max(worst, abs(actual - sum))
                        }
                    }
                }
            }
        }
        // float32 sums of up to a few hundred O(1) terms.
        #expect(worst < 2e-5 * Double(prepared.macsPerOutput).squareRoot() * 10, "worst absolute error \(worst)")
        // Channels outside the output slice are untouched.
        for n in 0..<batch {
            let outside = output.offset(sample: n, channel: -1)
            #expect((outside..<(outside + outSize.product)).allSatisfy { outputBuffer.pointer[$0] == 42 })
        }
    }

    /// The pooling's vectorised maximum is Swift's `max` value for value, NaN and signed zeros
    /// included, in the vector part and the tail.
    @Test func vectorisedMaximumIsSwiftsMax() {
        let special: [Float] = [.nan, 0, -0.0, 1, -1, .infinity, -.infinity, 2.5]
        let first = (0..<19).map { special[$0 % special.count] }
        let second = (0..<19).map { special[($0 * 3 + 1) % special.count] }
        var kept = first
        CPUBackend.keepMaximum(&kept, second, count: first.count)
        #expect(kept.map(\.bitPattern) == zip(first, second).map { max($0, $1).bitPattern })
    }

    @Test(arguments: [
        (Size3(3, 3, 3), Size3(2, 2, 2), Size3(1, 1, 1), Size3(7, 9, 5)),
        (Size3(1, 1, 2), Size3(1, 1, 2), Size3.zero, Size3(5, 3, 6)),
    ])
    func maxPoolWithNegativeScaleAffineAndResidual(kernel: Size3, stride: Size3, padding: Size3, size: Size3) throws {
        var random = SplitMix64(seed: 99)
        let (batch, channels) = (2, 3)
        let backend = CPUBackend()
        let input = try backend.makeBuffer(count: batch * channels * size.product)
        for index in 0..<input.count { input.pointer[index] = random.nextFloat() }
        let outSize = Size3(outputLength(size.i, kernel: kernel.i, stride: stride.i, padding: padding.i), outputLength(size.j, kernel: kernel.j, stride: stride.j, padding: padding.j), outputLength(size.k, kernel: kernel.k, stride: stride.k, padding: padding.k))
        let output = try backend.makeBuffer(count: batch * channels * outSize.product)
        let residual = try backend.makeBuffer(count: batch * channels * outSize.product)
        for index in 0..<residual.count { residual.pointer[index] = random.nextFloat() }
        let affine = ChannelAffine(scale: [-0.5, 2, 0], shift: [0.1, -0.2, 0.3])
        let outRegion = ActivationRegion(buffer: output, batch: batch, bufferChannels: channels, size: outSize)
        try backend.maxPool(
            ActivationRegion(buffer: input, batch: batch, bufferChannels: channels, size: size), kernel: kernel, stride: stride,
            padding: padding, into: outRegion,
            epilogue: Epilogue(affine: backend.prepare(affine), residual: ActivationRegion(buffer: residual, batch: batch, bufferChannels: channels, size: outSize), relu: true))
        for n in 0..<batch {
            for c in 0..<channels {
                for od in 0..<outSize.k {
                    for ow in 0..<outSize.j {
                        for oh in 0..<outSize.i {
                            var best = -Double.infinity
                            for kd in 0..<kernel.k {
                                for kw in 0..<kernel.j {
                                    for kh in 0..<kernel.i {
                                        let (d, w, h) = (od * stride.k - padding.k + kd, ow * stride.j - padding.j + kw, oh * stride.i - padding.i + kh)
                                        guard d >= 0, d < size.k, w >= 0, w < size.j, h >= 0, h < size.i else { continue }
                                        best = max(best, Double(input.pointer[((n * channels + c) * size.k + d) * size.j * size.i + w * size.i + h]))
                                    }
                                }
                            }
                            let index = ((n * channels + c) * outSize.k + od) * outSize.j * outSize.i + ow * outSize.i + oh
                            let expected = max(best * Double(affine.scale[c]) + Double(affine.shift[c]) + Double(residual.pointer[index]), 0)
                            #expect(abs(Double(output.pointer[index]) - expected) < 1e-6)
                        }
                    }
                }
            }
        }
    }

    @Test(arguments: [Size3(3, 5, 1), Size3(7, 2, 4)])
    func trilinearUpsamplingAlignCornersWithSkip(size: Size3) throws {
        var random = SplitMix64(seed: 5)
        let (batch, channels) = (2, 2)
        let backend = CPUBackend()
        let outSize = Size3(size.i * 2, size.j * 2, size.k * 2)
        let input = try backend.makeBuffer(count: batch * channels * size.product)
        for index in 0..<input.count { input.pointer[index] = random.nextFloat() }
        let skip = try backend.makeBuffer(count: batch * channels * outSize.product)
        for index in 0..<skip.count { skip.pointer[index] = random.nextFloat() }
        let output = try backend.makeBuffer(count: batch * channels * outSize.product)
        try backend.upsampleTrilinear2x(
            ActivationRegion(buffer: input, batch: batch, bufferChannels: channels, size: size),
            adding: ActivationRegion(buffer: skip, batch: batch, bufferChannels: channels, size: outSize),
            into: ActivationRegion(buffer: output, batch: batch, bufferChannels: channels, size: outSize))
        func taps(_ o: Int, _ input: Int, _ output: Int) -> (Int, Int, Double) {
            let real = output > 1 ? Double(o) * Double(input - 1) / Double(output - 1) : 0
            let low = Int(real.rounded(.down))
            return (low, min(low + 1, input - 1), real - Double(low))
        }
        for plane in 0..<(batch * channels) {
            let source = input.pointer + plane * size.product
            for od in 0..<outSize.k {
                for ow in 0..<outSize.j {
                    for oh in 0..<outSize.i {
                        let (d0, d1, ld) = taps(od, size.k, outSize.k)
                        let (w0, w1, lw) = taps(ow, size.j, outSize.j)
                        let (h0, h1, lh) = taps(oh, size.i, outSize.i)
                        var value = 0.0
                        for (d, wd) in [(d0, 1 - ld), (d1, ld)] {
                            for (w, ww) in [(w0, 1 - lw), (w1, lw)] {
                                for (h, wh) in [(h0, 1 - lh), (h1, lh)] {
                                    value += wd * ww * wh * Double(source[(d * size.j + w) * size.i + h])
                                }
                            }
                        }
                        let index = plane * outSize.product + (od * outSize.j + ow) * outSize.i + oh
                        value += Double(skip.pointer[index])
                        #expect(abs(Double(output.pointer[index]) - value) < 1e-5)
                    }
                }
            }
        }
    }

    @Test func invalidWindowSizesAreRefused() throws {
        let weights = try AHNetWeights(stateDict: SeededWeights.stateDict())
        let graph = try AHNetGraph(weights: weights, backend: CPUBackend())
        #expect(throws: AHNetError.invalidInputSize(Size3(48, 64, 32))) {
            _ = try graph.forward([Float](repeating: 0, count: 48 * 64 * 32), batch: 1, size: Size3(48, 64, 32))
        }
        #expect(throws: AHNetError.inputCountMismatch(expected: 32 * 32 * 32, actual: 5)) {
            _ = try graph.forward([0, 0, 0, 0, 0], batch: 1, size: Size3(32, 32, 32))
        }
    }
}
