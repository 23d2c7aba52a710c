import AHNet
import COpenBLAS

extension CPUBackend {
    public func convolve(
        _ input: ActivationRegion<CPUBuffer>, _ convolution: CPUConvolution, inputAffine: CPUAffine?,
        into output: ActivationRegion<CPUBuffer>, epilogue: Epilogue<CPUBuffer, CPUAffine>
    ) throws {
        let spec = convolution.spec
        precondition(input.channels == spec.inChannels && output.channels == spec.outChannels, "channel mismatch")
        precondition(spec.outputSize(for: input.size) == output.size, "output size mismatch")
        precondition(input.batch == output.batch)
        let positions = output.size.count
        let depth = spec.macsPerOutput
        let isPointwise = spec.kernel == .one && spec.stride == .one && spec.padding == .zero
        let chunk = max(1, min(positions, im2colBudgetBytes / MemoryLayout<Float>.stride / depth))

        spec.weights.withUnsafeBufferPointer { weights in
            guard let weightBase = weights.baseAddress else { return }
            for sample in 0..<input.batch {
                let source = input.buffer.pointer + input.offset(sample: sample)
                let target = output.buffer.pointer + output.offset(sample: sample)
                if isPointwise && inputAffine == nil {
                    // 1x1x1: the activation already is the GEMM operand.
                    sgemm(spec.outChannels, positions, depth, weightBase, depth, source, input.size.count, target, positions)
                } else {
                    let columns = columnBuffer(count: depth * chunk)
                    var start = 0
                    while start < positions {
                        let count = min(chunk, positions - start)
                        if isPointwise {
                            gatherPointwise(source, plane: input.size.count, channels: spec.inChannels, from: start, count: count, affine: inputAffine, into: columns)
                        } else {
                            im2col(source, size: input.size, spec: spec, outputSize: output.size, from: start, count: count, affine: inputAffine, into: columns)
                        }
                        sgemm(spec.outChannels, count, depth, weightBase, depth, columns, count, target + start, positions)
                        start += count
                    }
                }
                applyEpilogue(target, plane: positions, channels: spec.outChannels, bias: spec.bias, epilogue, sample: sample)
            }
        }
    }

    private func sgemm(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
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
                let scale = affine.scale[channel]
                let shift = affine.shift[channel]
                for index in 0..<count { row[index] = max(input[index] * scale + shift, 0) }
            } else {
                row.update(from: input, count: count)
            }
        }
    }

    /// The im2col matrix for output positions `start ..< start+count`: row `((ci*kD + kd)*kW + kw)*kH + kh`.
    /// Padding is zero after the input transform, as PyTorch pads the activated tensor.
    private func im2col(
        _ source: UnsafeMutablePointer<Float>, size: SpatialSize, spec: PreparedConvolution, outputSize: SpatialSize,
        from start: Int, count: Int, affine: CPUAffine?, into columns: UnsafeMutablePointer<Float>
    ) {
        let (kh, kw, kd) = (spec.kernel.h, spec.kernel.w, spec.kernel.d)
        // Input coordinates of each output position's kernel origin.
        var originD = [Int](repeating: 0, count: count)
        var originW = [Int](repeating: 0, count: count)
        var originH = [Int](repeating: 0, count: count)
        let outputPlane = outputSize.w * outputSize.h
        for index in 0..<count {
            let position = start + index
            let od = position / outputPlane
            let rest = position - od * outputPlane
            let ow = rest / outputSize.h
            let oh = rest - ow * outputSize.h
            originD[index] = od * spec.stride.d - spec.padding.d
            originW[index] = ow * spec.stride.w - spec.padding.w
            originH[index] = oh * spec.stride.h - spec.padding.h
        }
        let plane = size.count
        originD.withUnsafeBufferPointer { originD in
            originW.withUnsafeBufferPointer { originW in
                originH.withUnsafeBufferPointer { originH in
                    var row = columns
                    for channel in 0..<spec.inChannels {
                        let input = source + channel * plane
                        let scale = affine?.scale[channel] ?? 1
                        let shift = affine?.shift[channel] ?? 0
                        let activate = affine != nil
                        for z in 0..<kd {
                            for y in 0..<kw {
                                for x in 0..<kh {
                                    for index in 0..<count {
                                        let d = originD[index] + z
                                        let w = originW[index] + y
                                        let h = originH[index] + x
                                        if d >= 0 && d < size.d && w >= 0 && w < size.w && h >= 0 && h < size.h {
                                            let value = input[(d * size.w + w) * size.h + h]
                                            row[index] = activate ? max(value * scale + shift, 0) : value
                                        } else {
                                            row[index] = 0
                                        }
                                    }
                                    row += count
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `relu((x + bias) * scale + shift + residual)` per channel, each part optional.
    func applyEpilogue(
        _ target: UnsafeMutablePointer<Float>, plane: Int, channels: Int, bias: [Float]?, _ epilogue: Epilogue<CPUBuffer, CPUAffine>,
        sample: Int
    ) {
        let hasWork = bias != nil || epilogue.affine != nil || epilogue.residual != nil || epilogue.relu
        guard hasWork else { return }
        for channel in 0..<channels {
            let values = target + channel * plane
            let add = bias?[channel] ?? 0
            let scale = epilogue.affine?.scale[channel] ?? 1
            let shift = (epilogue.affine?.shift[channel] ?? 0) + add * scale
            if scale != 1 || shift != 0 {
                for index in 0..<plane { values[index] = values[index] * scale + shift }
            }
            if let residual = epilogue.residual {
                precondition(residual.size.count == plane && residual.channels == channels, "residual shape mismatch")
                let other = residual.buffer.pointer + residual.offset(sample: sample, channel: channel)
                for index in 0..<plane { values[index] += other[index] }
            }
            if epilogue.relu {
                for index in 0..<plane { values[index] = max(values[index], 0) }
            }
        }
    }
}
