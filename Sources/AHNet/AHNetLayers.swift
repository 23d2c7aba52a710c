/// AH-Net's layers, once: every convolution and BatchNorm with MONAI's state-dict name, channels,
/// kernel, stride and padding, grouped as the network is drawn (Liu et al., "3D Anisotropic Hybrid
/// Network", MICCAI 2018, figure 2; MONAI `monai/networks/nets/ahnet.py`). `AHNetArchitecture`
/// derives the expected state dict from this table and `AHNetGraph` builds the forward pass from
/// it; neither spells a layer name, a channel count or a kernel of its own.
///
/// Sizes and windows are `Size3`s (i, j, k; MONAI's H, W, D): the anisotropic kernels are in-plane
/// (k x k x 1) and through-plane (1 x 1 x 3).
public struct AHNetLayers: Sendable, Equatable {
    /// BatchNorm as MONAI names it: `name.weight`, `.bias`, `.running_mean`, `.running_var`.
    public struct Norm: Sendable, Equatable {
        public var name: String
        public var channels: Int
    }

    /// A convolution without bias (`name.weight`, shape [out, in, kh, kw, kd]) and the BatchNorm
    /// that follows it in MONAI, if any.
    public struct Convolution: Sendable, Equatable {
        public var name: String
        public var inChannels: Int
        public var outChannels: Int
        public var kernel: Size3
        public var stride: Size3 = .one
        public var padding: Size3 = .zero
        /// The BatchNorm that follows (its statistics are part of the state dict either way).
        public var norm: Norm?
        /// Whether the graph folds `norm` into the weights and bias; false where something that
        /// does not commute with it (max-pooling) lies between.
        public var foldsNorm = true
    }

    /// A ResNet bottleneck: 1x1x1 -> (3x3x1, stride s) -> 1x1x1 (x4 channels), with a 1x1x1
    /// projection on the first block of each layer. Strided blocks max-pool both paths (1,1,s)
    /// along d after the convolution, so the projection's BatchNorm follows that pool.
    public struct Bottleneck: Sendable, Equatable {
        public var conv1: Convolution
        public var conv2: Convolution
        public var conv3: Convolution
        public var downsample: Convolution?
        public var planes: Int
        public var stride: Int
    }

    /// Pre-activation 1x1x1 (or 3x3x1) convolution: BatchNorm, ReLU, conv (up and trans
    /// transitions, the final layer).
    public struct Transition: Sendable, Equatable {
        public var norm: Norm
        public var conv: Convolution
    }

    /// A Pseudo-3D dense layer: BN, ReLU, 1x1x1 (bn2 folded, ReLU), 3x3x1 -> `a`;
    /// `a + conv(relu(bn3 a))` with 1x1x3; BN, ReLU, 1x1x1 -> `growth` new channels.
    public struct DenseLayer: Sendable, Equatable {
        public var norm1: Norm
        public var conv1: Convolution
        public var conv2: Convolution
        public var norm3: Norm
        public var conv3: Convolution
        public var norm4: Norm
        public var conv4: Convolution
    }

    /// Pseudo-3D layers per dense block, channels each adds, and the 1x1x1 bottleneck's width.
    public static let denseLayers = 3
    public static let growth = 20
    public static let denseBottleneck = 4 * growth
    /// Channels of the stem (conv1) and of the dense blocks at the two finest levels.
    public static let stemChannels = 64

    /// conv1: 7x7x3, stride (2,2,1), padding (3,3,1); its BatchNorm, bn0, follows the (1,1,2)
    /// max-pool (`stemNorm`, not folded).
    public var stem: Convolution
    public var stemNorm: Norm
    /// layer1...layer4.
    public var encoder: [[Bottleneck]]
    /// up0, up1, up2 (each followed by dense0-2), trans1 (dense3), up3 (dense4).
    public var transitions: [Transition]
    /// dense0...dense4.
    public var dense: [[DenseLayer]]
    /// final: BN, ReLU, 3x3x1 convolution to the classes (then trilinear x2).
    public var final: Transition

    /// The table for an architecture (channels and blocks per encoder layer).
    public init(_ architecture: AHNetArchitecture) {
        let stemChannels = Self.stemChannels
        stemNorm = Norm(name: "bn0", channels: stemChannels)
        stem = Convolution(
            name: "conv1", inChannels: architecture.inChannels, outChannels: stemChannels, kernel: Size3(7, 7, 3),
            stride: Size3(2, 2, 1), padding: Size3(3, 3, 1), norm: stemNorm, foldsNorm: false)

        var encoder: [[Bottleneck]] = []
        var inplanes = stemChannels
        for (index, count) in architecture.layers.enumerated() {
            let planes = stemChannels << index
            var blocks: [Bottleneck] = []
            for block in 0..<count {
                let prefix = "layer\(index + 1).\(block)"
                let stride = block == 0 && index > 0 ? 2 : 1
                func conv(_ name: String, _ input: Int, _ output: Int, kernel: Size3 = .one, stride: Int = 1, padding: Size3 = .zero, norm: String) -> Convolution {
                    Convolution(name: "\(prefix).\(name)", inChannels: input, outChannels: output, kernel: kernel,
                                stride: Size3(stride, stride, 1), padding: padding, norm: Norm(name: "\(prefix).\(norm)", channels: output))
                }
                var downsample: Convolution?
                if block == 0 {
                    downsample = conv("downsample.0", inplanes, planes * 4, stride: stride, norm: "downsample.2")
                    downsample?.foldsNorm = stride == 1
                }
                blocks.append(Bottleneck(
                    conv1: conv("conv1", inplanes, planes, norm: "bn1"),
                    conv2: conv("conv2", planes, planes, kernel: Size3(3, 3, 1), stride: stride, padding: Size3(1, 1, 0), norm: "bn2"),
                    conv3: conv("conv3", planes, planes * 4, norm: "bn3"),
                    downsample: downsample, planes: planes, stride: stride))
                inplanes = planes * 4
            }
            encoder.append(blocks)
        }
        self.encoder = encoder

        // Decoder: each transition's output is added to the skip of its level, then a dense block
        // grows it by `grown` channels. Levels: the encoder's layers 3, 2, 1 (up0-up2), then the
        // pooled stem (trans1) and the stem (up3).
        let grown = Self.denseLayers * Self.growth
        let encoderChannels = encoder.map { ($0.first?.planes ?? 0) * 4 }
        let skips = encoderChannels.dropLast().reversed() + [stemChannels, stemChannels]
        let names = ["up0", "up1", "up2", "trans1", "up3"]
        var transitions: [Transition] = []
        var dense: [[DenseLayer]] = []
        var channels = encoderChannels.last ?? 0
        for (level, skip) in skips.enumerated() {
            let name = names[level]
            transitions.append(Transition(
                norm: Norm(name: "\(name).norm", channels: channels),
                conv: Convolution(name: "\(name).conv", inChannels: channels, outChannels: skip, kernel: .one)))
            dense.append(Self.denseBlock("dense\(level)", input: skip))
            channels = skip + grown
        }
        self.transitions = transitions
        self.dense = dense
        final = Transition(
            norm: Norm(name: "final.norm", channels: channels),
            conv: Convolution(name: "final.conv", inChannels: channels, outChannels: architecture.outChannels,
                              kernel: Size3(3, 3, 1), padding: Size3(1, 1, 0)))
    }

    private static func denseBlock(_ name: String, input: Int) -> [DenseLayer] {
        (0..<denseLayers).map { layer in
            let prefix = "\(name).denselayer\(layer + 1)"
            let channels = input + layer * growth
            func norm(_ suffix: String, _ count: Int) -> Norm { Norm(name: "\(prefix).\(suffix)", channels: count) }
            return DenseLayer(
                norm1: norm("bn1", channels),
                conv1: Convolution(name: "\(prefix).conv1", inChannels: channels, outChannels: denseBottleneck, kernel: .one,
                                   norm: norm("bn2", denseBottleneck)),
                conv2: Convolution(name: "\(prefix).conv2", inChannels: denseBottleneck, outChannels: growth,
                                   kernel: Size3(3, 3, 1), padding: Size3(1, 1, 0)),
                norm3: norm("bn3", growth),
                conv3: Convolution(name: "\(prefix).conv3", inChannels: growth, outChannels: growth,
                                   kernel: Size3(1, 1, 3), padding: Size3(0, 0, 1)),
                norm4: norm("bn4", growth),
                conv4: Convolution(name: "\(prefix).conv4", inChannels: growth, outChannels: growth, kernel: .one))
        }
    }

    /// Every parameter tensor (weights and BatchNorm statistics, no `num_batches_tracked`) with its
    /// MONAI shape, in state-dict order.
    public var parameterShapes: [(name: String, shape: [Int])] {
        var result: [(name: String, shape: [Int])] = []
        func add(_ norm: Norm?) {
            guard let norm else { return }
            for field in ["weight", "bias", "running_mean", "running_var"] { result.append((norm.name + "." + field, [norm.channels])) }
        }
        func add(_ conv: Convolution?) {
            guard let conv else { return }
            result.append((conv.name + ".weight", [conv.outChannels, conv.inChannels, conv.kernel.i, conv.kernel.j, conv.kernel.k]))
            add(conv.norm)
        }
        add(stem)
        for block in encoder.joined() {
            add(block.conv1)
            add(block.conv2)
            add(block.conv3)
            add(block.downsample)
        }
        for (transition, layers) in zip(transitions, dense) {
            add(transition.norm)
            add(transition.conv)
            for layer in layers {
                add(layer.norm1)
                add(layer.conv1)
                add(layer.conv2)
                add(layer.norm3)
                add(layer.conv3)
                add(layer.norm4)
                add(layer.conv4)
            }
        }
        add(final.norm)
        add(final.conv)
        return result
    }
}
