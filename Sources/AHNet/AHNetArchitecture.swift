/// The Clara PT configuration of MONAI's AHNet: `AHNet(spatial_dims=3, in_channels=1,
/// out_channels=2, psp_block_num=0, upsample_mode="trilinear")`, layers (3, 4, 6, 3).
///
/// This type lists the parameters the network has, by MONAI state-dict name, so that loading is
/// strict; `AHNetGraph` says how they connect.
public struct AHNetArchitecture: Sendable, Equatable {
    public var inChannels: Int
    public var outChannels: Int
    /// Bottleneck blocks per encoder layer.
    public var layers: [Int]

    public static let clara = AHNetArchitecture(inChannels: 1, outChannels: 2, layers: [3, 4, 6, 3])

    public init(inChannels: Int, outChannels: Int, layers: [Int]) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.layers = layers
    }

    /// Dense blocks: 3 Pseudo-3D layers, growth 20, bottleneck 4 x 20.
    public static let denseLayers = 3
    public static let growth = 20
    public static let denseBottleneck = 80

    /// Input channels of each dense block, in order dense0...dense4.
    public static let denseInputs = [1024, 512, 256, 64, 64]

    /// Every parameter tensor (weights and BatchNorm statistics, no `num_batches_tracked`) with
    /// its MONAI shape, in state-dict order.
    public var parameterShapes: [(name: String, shape: [Int])] {
        var result: [(String, [Int])] = []
        func conv(_ name: String, _ out: Int, _ input: Int, _ kernel: [Int]) {
            result.append((name + ".weight", [out, input] + kernel))
        }
        func batchNorm(_ name: String, _ channels: Int) {
            for field in ["weight", "bias", "running_mean", "running_var"] {
                result.append((name + "." + field, [channels]))
            }
        }
        conv("conv1", 64, inChannels, [7, 7, 3])
        batchNorm("bn0", 64)
        var inplanes = 64
        for (index, blocks) in layers.enumerated() {
            let planes = 64 << index
            for block in 0..<blocks {
                let prefix = "layer\(index + 1).\(block)"
                conv(prefix + ".conv1", planes, inplanes, [1, 1, 1])
                batchNorm(prefix + ".bn1", planes)
                conv(prefix + ".conv2", planes, planes, [3, 3, 1])
                batchNorm(prefix + ".bn2", planes)
                conv(prefix + ".conv3", planes * 4, planes, [1, 1, 1])
                batchNorm(prefix + ".bn3", planes * 4)
                if block == 0 {
                    conv(prefix + ".downsample.0", planes * 4, inplanes, [1, 1, 1])
                    batchNorm(prefix + ".downsample.2", planes * 4)
                }
                inplanes = planes * 4
            }
        }
        let growth = Self.growth
        func up(_ name: String, _ input: Int, _ output: Int) {
            batchNorm(name + ".norm", input)
            conv(name + ".conv", output, input, [1, 1, 1])
        }
        func dense(_ name: String, _ input: Int) {
            for layer in 0..<Self.denseLayers {
                let prefix = "\(name).denselayer\(layer + 1)"
                let channels = input + layer * growth
                batchNorm(prefix + ".bn1", channels)
                conv(prefix + ".conv1", Self.denseBottleneck, channels, [1, 1, 1])
                batchNorm(prefix + ".bn2", Self.denseBottleneck)
                conv(prefix + ".conv2", growth, Self.denseBottleneck, [3, 3, 1])
                batchNorm(prefix + ".bn3", growth)
                conv(prefix + ".conv3", growth, growth, [1, 1, 3])
                batchNorm(prefix + ".bn4", growth)
                conv(prefix + ".conv4", growth, growth, [1, 1, 1])
            }
        }
        let grown = Self.denseLayers * growth
        up("up0", 2048, 1024)
        dense("dense0", 1024)
        up("up1", 1024 + grown, 512)
        dense("dense1", 512)
        up("up2", 512 + grown, 256)
        dense("dense2", 256)
        up("trans1", 256 + grown, 64)
        dense("dense3", 64)
        up("up3", 64 + grown, 64)
        dense("dense4", 64)
        batchNorm("final.norm", 64 + grown)
        conv("final.conv", outChannels, 64 + grown, [3, 3, 1])
        return result
    }

    /// Names of the BatchNorm modules, whose `num_batches_tracked` counters a state dict also holds.
    public var batchNormNames: [String] {
        parameterShapes.compactMap { $0.name.hasSuffix(".running_var") ? String($0.name.dropLast(".running_var".count)) : nil }
    }

    /// Number of trainable parameters (BatchNorm running statistics excluded), as PyTorch counts them.
    public var parameterCount: Int {
        parameterShapes.filter { !$0.name.hasSuffix("running_mean") && !$0.name.hasSuffix("running_var") }
            .reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    /// Checks a state dict strictly: every parameter present with its shape and finite values, nothing unknown.
    /// `num_batches_tracked` counters are accepted and ignored (the graph does not use them).
    public func validate(_ stateDict: StateDict) throws(WeightsError) {
        let expected = parameterShapes
        for (name, shape) in expected {
            guard let tensor = stateDict[name] else { throw .missingTensor(name: name) }
            guard tensor.shape == shape || (tensor.count == shape.reduce(1, *) && shape.count == 1 && tensor.shape.isEmpty) else {
                throw .shapeMismatch(name: name, expected: shape, actual: tensor.shape)
            }
            let nonFinite = tensor.values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            guard nonFinite == 0 else { throw .nonFiniteValues(name: name, count: nonFinite) }
        }
        let known = Set(expected.map(\.name)).union(batchNormNames.map { $0 + ".num_batches_tracked" })
        if let extra = stateDict.keys.sorted().first(where: { !known.contains($0) }) {
            throw .unexpectedTensor(name: extra)
        }
    }
}
