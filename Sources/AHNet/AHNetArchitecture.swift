/// The Clara PT configuration of MONAI's AHNet: `AHNet(spatial_dims=3, in_channels=1,
/// out_channels=2, psp_block_num=0, upsample_mode="trilinear")`, layers (3, 4, 6, 3).
///
/// The layers themselves are in `AHNetLayers`; this type checks a state dict against them, so
/// that loading is strict, and `AHNetGraph` says how they connect.
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

    /// Every parameter tensor (weights and BatchNorm statistics, no `num_batches_tracked`) with
    /// its MONAI shape, in state-dict order: read from the layer table, `AHNetLayers`.
    public var parameterShapes: [(name: String, shape: [Int])] { AHNetLayers(self).parameterShapes }

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
