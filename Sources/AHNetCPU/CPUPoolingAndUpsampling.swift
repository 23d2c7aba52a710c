import AHNet

extension CPUBackend {
    public func maxPool(
        _ input: ActivationRegion<CPUBuffer>, kernel: Size3, stride: Size3, padding: Size3,
        into output: ActivationRegion<CPUBuffer>, epilogue: Epilogue<CPUBuffer, CPUAffine>
    ) throws {
        let (inSize, outSize) = (input.size, output.size)
        precondition(input.channels == output.channels && input.batch == output.batch)
        precondition(outSize.k == outputLength(inSize.k, kernel: kernel.k, stride: stride.k, padding: padding.k))
        precondition(outSize.j == outputLength(inSize.j, kernel: kernel.j, stride: stride.j, padding: padding.j))
        precondition(outSize.i == outputLength(inSize.i, kernel: kernel.i, stride: stride.i, padding: padding.i))
        // Pooling along D only (kernel (1,1,k), stride (1,1,k), no padding): whole planes at once.
        let depthOnly = kernel.i == 1 && kernel.j == 1 && stride.i == 1 && stride.j == 1 && padding == .zero && kernel.k == stride.k
        for sample in 0..<input.batch {
            parallelFor(input.channels) { channel in
                let source = input.buffer.pointer + input.offset(sample: sample, channel: channel)
                let target = output.buffer.pointer + output.offset(sample: sample, channel: channel)
                if depthOnly {
                    let plane = inSize.j * inSize.i
                    for od in 0..<outSize.k {
                        let out = target + od * plane
                        out.update(from: source + od * kernel.k * plane, count: plane)
                        for z in 1..<max(kernel.k, 1) {
                            Self.keepMaximum(out, source + (od * kernel.k + z) * plane, count: plane)
                        }
                    }
                    return
                }
                // Max is separable: along H, then W, then D, each over whole rows where it can.
                withUnsafeTemporaryAllocation(of: Float.self, capacity: inSize.k * inSize.j * outSize.i + inSize.k * outSize.j * outSize.i) { scratch in
                    guard let alongH = scratch.baseAddress else { return }
                    let alongW = alongH + inSize.k * inSize.j * outSize.i
                    for line in 0..<(inSize.k * inSize.j) {
                        let values = source + line * inSize.i
                        let pooled = alongH + line * outSize.i
                        for oh in 0..<outSize.i {
                            let h0 = oh * stride.i - padding.i
                            var best = -Float.infinity
                            for h in max(h0, 0)..<min(h0 + kernel.i, inSize.i) { best = max(best, values[h]) }
                            pooled[oh] = best
                        }
                    }
                    Self.maxRows(alongH, rows: inSize.j, rowLength: outSize.i, blocks: inSize.k, kernel: kernel.j, stride: stride.j,
                                 padding: padding.j, outputRows: outSize.j, into: alongW)
                    Self.maxRows(alongW, rows: inSize.k, rowLength: outSize.j * outSize.i, blocks: 1, kernel: kernel.k, stride: stride.k,
                                 padding: padding.k, outputRows: outSize.k, into: target)
                }
            }
            let first = output.buffer.pointer + output.offset(sample: sample)
            applyEpilogue(first, plane: outSize.product, channels: output.channels, bias: nil, epilogue, sample: sample)
        }
    }

    /// Max-pooling along the rows of `blocks` blocks of `rows` rows each (rows of `rowLength`
    /// contiguous values): output row `o` of a block is the element-wise maximum of input rows
    /// `o*stride - padding ..< +kernel` that exist (padding counts as -inf).
    static func maxRows(
        _ input: UnsafePointer<Float>, rows: Int, rowLength: Int, blocks: Int, kernel: Int, stride: Int, padding: Int, outputRows: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        for block in 0..<blocks {
            let source = input + block * rows * rowLength
            let target = output + block * outputRows * rowLength
            for row in 0..<outputRows {
                let first = max(row * stride - padding, 0)
                let end = min(row * stride - padding + kernel, rows)
                let out = target + row * rowLength
                guard first < end else {
                    out.update(repeating: -.infinity, count: rowLength)
                    continue
                }
                out.update(from: source + first * rowLength, count: rowLength)
                for other in (first + 1)..<max(end, first + 1) {
                    keepMaximum(out, source + other * rowLength, count: rowLength)
                }
            }
        }
    }

    /// `target[i] = max(target[i], values[i])` as Swift's `max` defines it (`values[i]` where it is
    /// `>=`, so a NaN in `target` stays and one in `values` is skipped), eight at a time: `max`
    /// per value compiles to a scalar loop in the module's baseline x86-64 code.
    static func keepMaximum(_ target: UnsafeMutablePointer<Float>, _ values: UnsafePointer<Float>, count: Int) {
        var index = 0
        while index + 8 <= count {
            var kept = UnsafeRawPointer(target + index).loadUnaligned(as: SIMD8<Float>.self)
            let other = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
            kept.replace(with: other, where: other .>= kept)
            UnsafeMutableRawPointer(target + index).storeBytes(of: kept, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            target[index] = max(target[index], values[index])
            index += 1
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
        precondition(outSize == Size3(inSize.i * 2, inSize.j * 2, inSize.k * 2), "upsampling is x2")
        precondition(input.channels == output.channels && input.batch == output.batch)
        if let skip { precondition(skip.size == outSize && skip.channels == output.channels) }
        let tapsD = linearTaps(input: inSize.k, output: outSize.k)
        let tapsW = linearTaps(input: inSize.j, output: outSize.j)
        let tapsH = linearTaps(input: inSize.i, output: outSize.i)
        for sample in 0..<input.batch {
            parallelFor(input.channels) { channel in
                let source = input.buffer.pointer + input.offset(sample: sample, channel: channel)
                let target = output.buffer.pointer + output.offset(sample: sample, channel: channel)
                let addend = skip.map { $0.buffer.pointer + $0.offset(sample: sample, channel: channel) }
                // D and W first, on whole input rows along H (four rows blended into one), then H.
                withUnsafeTemporaryAllocation(of: Float.self, capacity: inSize.i) { buffer in
                    guard let row = buffer.baseAddress else { return }
                    tapsH.low.withUnsafeBufferPointer { lowH in
                        tapsH.high.withUnsafeBufferPointer { highH in
                            tapsH.weight.withUnsafeBufferPointer { weightH in
                                var index = 0
                                for od in 0..<outSize.k {
                                    let (d0, d1, ld) = (tapsD.low[od], tapsD.high[od], tapsD.weight[od])
                                    for ow in 0..<outSize.j {
                                        let (w0, w1, lw) = (tapsW.low[ow], tapsW.high[ow], tapsW.weight[ow])
                                        let r00 = source + (d0 * inSize.j + w0) * inSize.i
                                        let r01 = source + (d0 * inSize.j + w1) * inSize.i
                                        let r10 = source + (d1 * inSize.j + w0) * inSize.i
                                        let r11 = source + (d1 * inSize.j + w1) * inSize.i
                                        let (a, b, c, e) = ((1 - ld) * (1 - lw), (1 - ld) * lw, ld * (1 - lw), ld * lw)
                                        for h in 0..<inSize.i { row[h] = a * r00[h] + b * r01[h] + c * r10[h] + e * r11[h] }
                                        let out = target + index
                                        if let addend {
                                            let add = addend + index
                                            for oh in 0..<outSize.i {
                                                let lh = weightH[oh]
                                                out[oh] = (1 - lh) * row[lowH[oh]] + lh * row[highH[oh]] + add[oh]
                                            }
                                        } else {
                                            for oh in 0..<outSize.i {
                                                let lh = weightH[oh]
                                                out[oh] = (1 - lh) * row[lowH[oh]] + lh * row[highH[oh]]
                                            }
                                        }
                                        index += outSize.i
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
