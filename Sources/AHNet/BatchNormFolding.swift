/// Eval-mode BatchNorm as PyTorch computes it: `(x - mean) / sqrt(var + eps) * gamma + beta`.
struct BatchNorm {
    var gamma: [Float]
    var beta: [Float]
    var mean: [Float]
    var variance: [Float]
    static let epsilon = 1e-5

    init(_ stateDict: StateDict, _ name: String) {
        gamma = stateDict[name + ".weight"]?.values ?? []
        beta = stateDict[name + ".bias"]?.values ?? []
        mean = stateDict[name + ".running_mean"]?.values ?? []
        variance = stateDict[name + ".running_var"]?.values ?? []
    }

    /// The same transform as one scale and shift per channel, computed in double precision.
    var affine: ChannelAffine {
        var scale = [Float](repeating: 0, count: gamma.count)
        var shift = [Float](repeating: 0, count: gamma.count)
        for channel in gamma.indices {
            let s = Double(gamma[channel]) / (Double(variance[channel]) + Self.epsilon).squareRoot()
            scale[channel] = Float(s)
            shift[channel] = Float(Double(beta[channel]) - Double(mean[channel]) * s)
        }
        return ChannelAffine(scale: scale, shift: shift)
    }
}

/// Builds a `PreparedConvolution` from a MONAI conv weight `(Cout, Cin, kH, kW, kD)`, permuting
/// the kernel axes to the activation memory order `[Cout][Cin][kD][kW][kH]` and folding a
/// following BatchNorm into weights and bias when one is given.
func prepareConvolution(
    _ stateDict: StateDict, _ name: String, stride: Size3 = .one, padding: Size3 = .zero, foldingBatchNorm batchNorm: String? = nil
) -> PreparedConvolution {
    let tensor = stateDict[name + ".weight"] ?? HostTensor(shape: [0, 0, 0, 0, 0], values: [])
    let (outChannels, inChannels) = (tensor.shape[0], tensor.shape[1])
    let (kh, kw, kd) = (tensor.shape[2], tensor.shape[3], tensor.shape[4])
    var weights = [Float](repeating: 0, count: tensor.count)
    var bias: [Float]?
    let affine = batchNorm.map { BatchNorm(stateDict, $0).affine }
    tensor.values.withUnsafeBufferPointer { source in
        for o in 0..<outChannels {
            let scale = affine?.scale[o] ?? 1
            for i in 0..<inChannels {
                let base = (o * inChannels + i) * kh * kw * kd
                for z in 0..<kd {
                    for y in 0..<kw {
                        for x in 0..<kh {
                            // source (kH, kW, kD) index: (x * kw + y) * kd + z
                            weights[base + (z * kw + y) * kh + x] = source[base + (x * kw + y) * kd + z] * scale
                        }
                    }
                }
            }
        }
    }
    if let affine { bias = affine.shift }
    return PreparedConvolution(
        outChannels: outChannels, inChannels: inChannels, kernel: Size3(kh, kw, kd), stride: stride,
        padding: padding, weights: weights, bias: bias)
}
