import AHNet

extension CPUBackend {
    public func maxPool(
        _ input: ActivationRegion<CPUBuffer>, kernel: Window3, stride: Window3, padding: Window3,
        into output: ActivationRegion<CPUBuffer>, epilogue: Epilogue<CPUBuffer, CPUAffine>
    ) throws {
        let (inSize, outSize) = (input.size, output.size)
        precondition(input.channels == output.channels && input.batch == output.batch)
        precondition(outSize.d == outputLength(inSize.d, kernel: kernel.d, stride: stride.d, padding: padding.d))
        precondition(outSize.w == outputLength(inSize.w, kernel: kernel.w, stride: stride.w, padding: padding.w))
        precondition(outSize.h == outputLength(inSize.h, kernel: kernel.h, stride: stride.h, padding: padding.h))
        // Pooling along D only (kernel (1,1,k), stride (1,1,k), no padding): whole planes at once.
        let depthOnly = kernel.h == 1 && kernel.w == 1 && stride.h == 1 && stride.w == 1 && padding == .zero && kernel.d == stride.d
        for sample in 0..<input.batch {
            parallelFor(input.channels) { channel in
                let source = input.buffer.pointer + input.offset(sample: sample, channel: channel)
                let target = output.buffer.pointer + output.offset(sample: sample, channel: channel)
                if depthOnly {
                    let plane = inSize.w * inSize.h
                    for od in 0..<outSize.d {
                        let out = target + od * plane
                        out.update(from: source + od * kernel.d * plane, count: plane)
                        for z in 1..<max(kernel.d, 1) {
                            let other = source + (od * kernel.d + z) * plane
                            for index in 0..<plane { out[index] = max(out[index], other[index]) }
                        }
                    }
                    return
                }
                var index = 0
                for od in 0..<outSize.d {
                    let d0 = od * stride.d - padding.d
                    for ow in 0..<outSize.w {
                        let w0 = ow * stride.w - padding.w
                        for oh in 0..<outSize.h {
                            let h0 = oh * stride.h - padding.h
                            var best = -Float.infinity
                            for d in max(d0, 0)..<min(d0 + kernel.d, inSize.d) {
                                for w in max(w0, 0)..<min(w0 + kernel.w, inSize.w) {
                                    let row = source + (d * inSize.w + w) * inSize.h
                                    for h in max(h0, 0)..<min(h0 + kernel.h, inSize.h) {
                                        best = max(best, row[h])
                                    }
                                }
                            }
                            target[index] = best
                            index += 1
                        }
                    }
                }
            }
            let first = output.buffer.pointer + output.offset(sample: sample)
            applyEpilogue(first, plane: outSize.count, channels: output.channels, bias: nil, epilogue, sample: sample)
        }
    }

    /// Source index pairs and weights of a linear x2 resize with align_corners=True, computed in
    /// float as PyTorch's CPU kernel does.
    private func linearTaps(input: Int, output: Int) -> (low: [Int], high: [Int], weight: [Float]) {
        let scale: Float = output > 1 ? Float(input - 1) / Float(output - 1) : 0
        var low = [Int](repeating: 0, count: output)
        var high = [Int](repeating: 0, count: output)
        var weight = [Float](repeating: 0, count: output)
        for index in 0..<output {
            let real = scale * Float(index)
            let base = Int(real)
            low[index] = base
            high[index] = base < input - 1 ? base + 1 : base
            weight[index] = min(max(real - Float(base), 0), 1)
        }
        return (low, high, weight)
    }

    public func upsampleTrilinear2x(
        _ input: ActivationRegion<CPUBuffer>, adding skip: ActivationRegion<CPUBuffer>?, into output: ActivationRegion<CPUBuffer>
    ) throws {
        let (inSize, outSize) = (input.size, output.size)
        precondition(outSize == SpatialSize(d: inSize.d * 2, w: inSize.w * 2, h: inSize.h * 2), "upsampling is x2")
        precondition(input.channels == output.channels && input.batch == output.batch)
        if let skip { precondition(skip.size == outSize && skip.channels == output.channels) }
        let tapsD = linearTaps(input: inSize.d, output: outSize.d)
        let tapsW = linearTaps(input: inSize.w, output: outSize.w)
        let tapsH = linearTaps(input: inSize.h, output: outSize.h)
        for sample in 0..<input.batch {
            parallelFor(input.channels) { channel in
                let source = input.buffer.pointer + input.offset(sample: sample, channel: channel)
                let target = output.buffer.pointer + output.offset(sample: sample, channel: channel)
                let addend = skip.map { $0.buffer.pointer + $0.offset(sample: sample, channel: channel) }
                var index = 0
                for od in 0..<outSize.d {
                    let (d0, d1, ld) = (tapsD.low[od], tapsD.high[od], tapsD.weight[od])
                    for ow in 0..<outSize.w {
                        let (w0, w1, lw) = (tapsW.low[ow], tapsW.high[ow], tapsW.weight[ow])
                        let r00 = source + (d0 * inSize.w + w0) * inSize.h
                        let r01 = source + (d0 * inSize.w + w1) * inSize.h
                        let r10 = source + (d1 * inSize.w + w0) * inSize.h
                        let r11 = source + (d1 * inSize.w + w1) * inSize.h
                        for oh in 0..<outSize.h {
                            let (h0, h1, lh) = (tapsH.low[oh], tapsH.high[oh], tapsH.weight[oh])
                            let front = (1 - lw) * ((1 - lh) * r00[h0] + lh * r00[h1]) + lw * ((1 - lh) * r01[h0] + lh * r01[h1])
                            let back = (1 - lw) * ((1 - lh) * r10[h0] + lh * r10[h1]) + lw * ((1 - lh) * r11[h0] + lh * r11[h1])
                            var value = (1 - ld) * front + ld * back
                            if let addend { value += addend[index] }
                            target[index] = value
                            index += 1
                        }
                    }
                }
            }
        }
    }
}
