import AHNet
import CConvolution

extension CPUBackend {
    public func convolve(
        _ input: ActivationRegion<CPUBuffer>, _ convolution: CPUConvolution, inputAffine: CPUAffine?,
        into output: ActivationRegion<CPUBuffer>, epilogue: Epilogue<CPUBuffer, CPUAffine>
    ) throws {
        let spec = convolution.spec
        precondition(input.channels == spec.inChannels && output.channels == spec.outChannels, "channel mismatch")
        precondition(spec.outputSize(for: input.size) == output.size, "output size mismatch")
        precondition(input.batch == output.batch)
        let positions = output.size.product
        let depth = spec.macsPerOutput
        let isPointwise = spec.kernel == .one && spec.stride == .one && spec.padding == .zero
        if DirectConvolution.isUsed(for: spec) {
            convolveDirect(input, spec, inputAffine: inputAffine, into: output, epilogue: epilogue)
            return
        }
        if Winograd.isUsed(for: spec, input: input.size) {
            convolveWinograd(input, convolution, inputAffine: inputAffine, into: output, epilogue: epilogue)
            return
        }

        if fusedKernels && FusedKernels.isPointwiseUsed(for: spec, positions: positions, threads: threads) {
            convolvePointwise(input, spec, inputAffine: inputAffine, into: output, epilogue: epilogue)
            return
        }

        // Too few positions to split (the 7x7 planes of layer4 and up0): the threads split the
        // output channels of one shared operand instead.
        let operandBytes = depth * positions * MemoryLayout<Float>.stride
        if positions / 64 < threads && spec.outChannels >= 16 * threads && operandBytes <= im2colBudgetBytes {
            convolveSplittingChannels(input, spec, inputAffine: inputAffine, into: output, epilogue: epilogue)
            return
        }

        // The output positions are cut into chunks that the backend's threads take in turn; each
        // builds a chunk's im2col matrix in its own buffer, runs a single-threaded SGEMM on it (no
        // idle BLAS threads spinning) into a buffer of its own, and stores that with the epilogue
        // applied: the output is written once, instead of zeroed by OpenBLAS, accumulated and read
        // and written again by the epilogue. Chunks of about 1 MB stay in the core's L2 cache
        // between im2col, OpenBLAS packing them and the store (measured: the stem 10-20 % faster
        // than with 8 MB chunks).
        // With the fused kernels the chunk's columns are packed, multiplied and stored through
        // the epilogue by `ccolumns_multiply` instead, in a second area of the same size.
        let fused = fusedKernels && !isPointwise
        let workers = max(1, min(threads, positions / 64))
        let chunkBytes = min(im2colChunkBytes, im2colBudgetBytes / workers)
        let rows = fused ? 2 * depth : depth + spec.outChannels
        let chunk = max(1, min((positions + workers - 1) / workers, chunkBytes / MemoryLayout<Float>.stride / rows))
        let chunks = (positions + chunk - 1) / chunk
        let perWorker = fused ? depth * chunk + cpointwise_scratch(depth, chunk) : rows * chunk
        let columns = columnBuffer(count: perWorker * workers)
        let store = EpilogueStore(bias: spec.bias, epilogue, channels: spec.outChannels, plane: positions)
        let (scale, shift) = (PinnedFloats(store.scale), PinnedFloats(store.shift))
        withExtendedLifetime((scale, shift)) {
            spec.weights.withUnsafeBufferPointer { weights in
                guard let weightBase = weights.baseAddress else { return }
                for sample in 0..<input.batch {
                    let source = input.buffer.pointer + input.offset(sample: sample)
                    let target = output.buffer.pointer + output.offset(sample: sample)
                    parallelFor(chunks) { index, worker in
                        let start = index * chunk
                        let count = min(chunk, positions - start)
                        let own = columns + worker * perWorker
                        let products = own + depth * chunk
                        if isPointwise && inputAffine == nil {
                            // 1x1x1: the activation already is the GEMM operand.
                            BLAS.sgemm(
                                m: spec.outChannels, n: count, k: depth, a: weightBase, lda: depth, b: source + start,
                                ldb: input.size.product, c: products, ldc: count)
                        } else {
                            if isPointwise {
                                gatherPointwise(source, plane: input.size.product, channels: spec.inChannels, from: start, count: count, affine: inputAffine, into: own)
                            } else {
                                im2col(source, size: input.size, spec: spec, outputSize: output.size, from: start, count: count, affine: inputAffine, into: own)
                            }
                            if fused {
                                ccolumns_multiply(
                                    own, depth, count, weightBase, spec.outChannels, scale.pointer, shift.pointer,
                                    store.residual.map { $0.buffer.pointer + $0.offset(sample: sample) }, store.residual?.size.product ?? 0,
                                    store.relu ? 1 : 0, target, positions, start, products)
                                return
                            }
                            BLAS.sgemm(
                                m: spec.outChannels, n: count, k: depth, a: weightBase, lda: depth, b: own, ldb: count,
                                c: products, ldc: count)
                        }
                        store.store(products, count: count, into: target, from: start, sample: sample)
                    }
                }
            }
        }
    }

    /// The convolution with one operand for all positions (the activation itself for a plain
    /// 1x1x1 convolution, otherwise im2col made once) and the output channels split between the
    /// backend's threads, each running one single-threaded SGEMM on its rows of the weights.
    private func convolveSplittingChannels(
        _ input: ActivationRegion<CPUBuffer>, _ spec: PreparedConvolution, inputAffine: CPUAffine?,
        into output: ActivationRegion<CPUBuffer>, epilogue: Epilogue<CPUBuffer, CPUAffine>
    ) {
        let positions = output.size.product
        let depth = spec.macsPerOutput
        let isPlainPointwise = spec.kernel == .one && spec.stride == .one && spec.padding == .zero && inputAffine == nil
        let columns = columnBuffer(count: isPlainPointwise ? 0 : depth * positions)
        spec.weights.withUnsafeBufferPointer { weights in
            guard let weightBase = weights.baseAddress else { return }
            for sample in 0..<input.batch {
                let source = input.buffer.pointer + input.offset(sample: sample)
                let target = output.buffer.pointer + output.offset(sample: sample)
                let operand: UnsafeMutablePointer<Float>
                let leading: Int
                if isPlainPointwise {
                    (operand, leading) = (source, input.size.product)
                } else {
                    im2col(source, size: input.size, spec: spec, outputSize: output.size, from: 0, count: positions, affine: inputAffine, into: columns)
                    (operand, leading) = (columns, positions)
                }
                parallelFor(threads) { worker in
                    let lower = spec.outChannels * worker / threads
                    let upper = spec.outChannels * (worker + 1) / threads
                    BLAS.sgemm(
                        m: upper - lower, n: positions, k: depth, a: weightBase + lower * depth, lda: depth, b: operand, ldb: leading,
                        c: target + lower * positions, ldc: positions)
                }
                applyEpilogue(target, plane: positions, channels: spec.outChannels, bias: spec.bias, epilogue, sample: sample)
            }
        }
    }

    /// `target[i] = relu(source[i] * scale + shift)` for `count` values.
    static func activate(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float) {
        affineRow(source, into: target, count: count, scale: scale, shift: shift, adding: nil, relu: true)
    }

    /// `target[i] = source[i] * scale + shift + addend[i]`, then ReLU where asked, for `count`
    /// values, eight at a time (`source` may be `target`). ReLU is a masked select: `max` per value
    /// compiles to a scalar loop.
    static func affineRow(
        _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float,
        adding addend: UnsafePointer<Float>?, relu: Bool
    ) {
        var index = 0
        while index + 8 <= count {
            var value = UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self) * scale + shift
            if let addend { value += UnsafeRawPointer(addend + index).loadUnaligned(as: SIMD8<Float>.self) }
            if relu { value.replace(with: 0, where: value .< 0) }
            UnsafeMutableRawPointer(target + index).storeBytes(of: value, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            var value = source[index] * scale + shift
            if let addend { value += addend[index] }
            target[index] = relu && value < 0 ? 0 : value
            index += 1
        }
    }

    /// Rows = input channels, columns = positions `start ..< start+count`, with ReLU(x*scale+shift) applied.
    private func gatherPointwise(
        _ source: UnsafeMutablePointer<Float>, plane: Int, channels: Int, from start: Int, count: Int, affine: CPUAffine?,
        into columns: UnsafeMutablePointer<Float>
    ) {
        for channel in 0..<channels {
            let row = columns + channel * count
            let input = source + channel * plane + start
            if let affine {
                Self.activate(input, into: row, count: count, scale: affine.scale[channel], shift: affine.shift[channel])
            } else {
                row.update(from: input, count: count)
            }
        }
    }

    /// The im2col matrix for output positions `start ..< start+count`: row `((ci*kD + kd)*kW + kw)*kH + kh`.
    /// Padding is zero after the input transform, as PyTorch pads the activated tensor. Rows are
    /// filled in runs along H (contiguous in memory). Where a line is read by several taps along H
    /// or with a stride along H (the stem, the strided convolutions), it is first prepared once:
    /// activated and split into its stride phases (even and odd positions for stride 2), so that
    /// every tap is one contiguous copy instead of a strided or activating loop.
    private func im2col(
        _ source: UnsafeMutablePointer<Float>, size: Size3, spec: PreparedConvolution, outputSize: Size3,
        from start: Int, count: Int, affine: CPUAffine?, into columns: UnsafeMutablePointer<Float>
    ) {
        let (kh, kw, kd) = (spec.kernel.i, spec.kernel.j, spec.kernel.k)
        let (strideH, strideW, strideD) = (spec.stride.i, spec.stride.j, spec.stride.k)
        let (padH, padW, padD) = (spec.padding.i, spec.padding.j, spec.padding.k)
        let outputPlane = outputSize.j * outputSize.i
        let firstD = start / outputPlane
        let firstW = (start - firstD * outputPlane) / outputSize.i
        let firstH = start - firstD * outputPlane - firstW * outputSize.i
        let plane = size.product
        let activate = affine != nil
        // A plain line read with stride 1 is copied from directly; so is an activated line read by
        // one tap only (the (1,1,3) convolutions), activated on the way.
        let prepare = strideH > 1 || (activate && kh > 1)
        let phaseLength = (size.i + strideH - 1) / strideH
        withUnsafeTemporaryAllocation(of: Float.self, capacity: strideH * phaseLength) { prepared in
            guard let phases = prepared.baseAddress else { return }
            for channel in 0..<spec.inChannels {
                let input = source + channel * plane
                let scale = affine?.scale[channel] ?? 1
                let shift = affine?.shift[channel] ?? 0
                for z in 0..<kd {
                    for y in 0..<kw {
                        // The row of tap x is `rows + x * count`.
                        let rows = columns + ((channel * kd + z) * kw + y) * kh * count
                        var (od, ow, oh) = (firstD, firstW, firstH)
                        var index = 0
                        var preparedLine = -1
                        while index < count {
                            let run = min(outputSize.i - oh, count - index)
                            let d = od * strideD - padD + z
                            let w = ow * strideW - padW + y
                            if d < 0 || d >= size.k || w < 0 || w >= size.j {
                                for x in 0..<kh { (rows + x * count + index).update(repeating: 0, count: run) }
                            } else {
                                let lineIndex = d * size.j + w
                                let line = input + lineIndex * size.i
                                if prepare && preparedLine != lineIndex {
                                    preparedLine = lineIndex
                                    for phase in 0..<strideH {
                                        let target = phases + phase * phaseLength
                                        var h = phase
                                        var i = 0
                                        if activate {
                                            while h < size.i {
                                                target[i] = max(line[h] * scale + shift, 0)
                                                h += strideH
                                                i += 1
                                            }
                                        } else {
                                            while h < size.i {
                                                target[i] = line[h]
                                                h += strideH
                                                i += 1
                                            }
                                        }
                                    }
                                }
                                for x in 0..<kh {
                                    let target = rows + x * count + index
                                    // Output j of the run reads input h0 + j*strideH: the part of
                                    // the run inside the line, found once; zeros around it.
                                    let h0 = oh * strideH - padH + x
                                    let first = min(h0 >= 0 ? 0 : (-h0 + strideH - 1) / strideH, run)
                                    let last = max(min(size.i - h0 > 0 ? (size.i - h0 + strideH - 1) / strideH : 0, run), first)
                                    if first > 0 { target.update(repeating: 0, count: first) }
                                    if last < run { (target + last).update(repeating: 0, count: run - last) }
                                    guard last > first else { continue }
                                    let h = h0 + first * strideH
                                    if prepare {
                                        // Input h is element h / strideH of phase h % strideH (h >= 0 here).
                                        let from = phases + (h % strideH) * phaseLength + h / strideH
                                        (target + first).update(from: from, count: last - first)
                                    } else if activate {
                                        Self.activate(line + h, into: target + first, count: last - first, scale: scale, shift: shift)
                                    } else {
                                        (target + first).update(from: line + h, count: last - first)
                                    }
                                }
                            }
                            index += run
                            oh += run
                            if oh == outputSize.i {
                                oh = 0
                                ow += 1
                                if ow == outputSize.j {
                                    ow = 0
                                    od += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `relu((x + bias) * scale + shift + residual)` per channel in one pass, each part optional.
    func applyEpilogue(
        _ target: UnsafeMutablePointer<Float>, plane: Int, channels: Int, bias: [Float]?, _ epilogue: Epilogue<CPUBuffer, CPUAffine>,
        sample: Int
    ) {
        let store = EpilogueStore(bias: bias, epilogue, channels: channels, plane: plane)
        guard store.hasWork else { return }
        parallelFor(channels) { channel in
            let values = target + channel * plane
            store.row(values, into: values, count: plane, channel: channel, from: 0, sample: sample)
        }
    }
}

/// The epilogue `relu((x + bias) * scale + shift + residual)` of one convolution or pooling, each
/// part optional, applied row by row: in place over a whole output plane, or while storing a chunk
/// of positions computed elsewhere.
struct EpilogueStore {
    let scale: [Float]?
    let shift: [Float]?
    let residual: ActivationRegion<CPUBuffer>?
    let relu: Bool
    let channels: Int
    let plane: Int

    init(bias: [Float]?, _ epilogue: Epilogue<CPUBuffer, CPUAffine>, channels: Int, plane: Int) {
        if let residual = epilogue.residual {
            precondition(residual.size.product == plane && residual.channels == channels, "residual shape mismatch")
        }
        // (x + bias) * scale + shift = x * scale + (shift + bias * scale)
        let affineScale = epilogue.affine?.scale
        scale = affineScale
        if bias != nil || epilogue.affine != nil {
            shift = (0..<channels).map { channel in
                (epilogue.affine?.shift[channel] ?? 0) + (bias?[channel] ?? 0) * (affineScale?[channel] ?? 1)
            }
        } else {
            shift = nil
        }
        residual = epilogue.residual
        relu = epilogue.relu
        self.channels = channels
        self.plane = plane
    }

    /// Whether the epilogue changes anything.
    var hasWork: Bool { scale != nil || shift != nil || residual != nil || relu }

    /// Stores channel rows `products[c * count ..< c * count + count]` at positions
    /// `start ..< start + count` of the output planes `target[c * plane ...]`, through the epilogue.
    func store(_ products: UnsafeMutablePointer<Float>, count: Int, into target: UnsafeMutablePointer<Float>, from start: Int, sample: Int) {
        for channel in 0..<channels {
            let source = products + channel * count
            let destination = target + channel * plane + start
            if hasWork {
                row(source, into: destination, count: count, channel: channel, from: start, sample: sample)
            } else {
                destination.update(from: source, count: count)
            }
        }
    }

    /// `target[i] = epilogue(source[i])` for the `count` positions from `start` of one channel
    /// (`source` may be `target`).
    func row(
        _ source: UnsafeMutablePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int, channel: Int, from start: Int,
        sample: Int
    ) {
        let other = residual.map { $0.buffer.pointer + $0.offset(sample: sample, channel: channel) + start }
        CPUBackend.affineRow(
            source, into: target, count: count, scale: scale?[channel] ?? 1, shift: shift?[channel] ?? 0, adding: other.map { UnsafePointer($0) },
            relu: relu)
    }
}
