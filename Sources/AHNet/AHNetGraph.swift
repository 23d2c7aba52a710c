/// Why a forward pass cannot run.
public enum AHNetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Each axis (i, j, k; MONAI's H, W, D) must be a positive multiple of 32.
    case invalidInputSize(Size3)
    /// The input array does not hold batch x channels x H x W x D values.
    case inputCountMismatch(expected: Int, actual: Int)
    /// One window needs a buffer larger than the backend can address.
    case bufferTooLarge(elements: Int, limit: Int)

    public var description: String {
        switch self {
        case .invalidInputSize(let size):
            "input size \(size) (i x j x k): each axis must be a positive multiple of 32"
        case .inputCountMismatch(let expected, let actual):
            "input holds \(actual) values, expected \(expected)"
        case .bufferTooLarge(let elements, let limit):
            "a window of this size needs a buffer of \(elements) values; the backend addresses at most \(limit) (use smaller windows)"
        }
    }
}

/// AH-Net (Clara PT config), written once against `AHNetBackend`: which layer feeds which,
/// where BatchNorm is folded and where it stays a fused scale-shift + ReLU, where dense blocks
/// write their channels. Backends implement the operations, never the network.
public final class AHNetGraph<Backend: AHNetBackend> {
    typealias Region = ActivationRegion<Backend.Buffer>
    typealias Epilogue = AHNet.Epilogue<Backend.Buffer, Backend.Affine>

    struct Bottleneck {
        var conv1: Backend.Convolution
        var conv2: Backend.Convolution
        var conv3: Backend.Convolution
        var planes: Int
        var stride: Int
        /// 1x1x1 residual projection; its BatchNorm is folded when no pooling separates them.
        var downsample: Backend.Convolution?
        /// The downsample BatchNorm, applied after the (1,1,s) max-pool (it may have negative scales).
        var downsampleAffine: Backend.Affine?
    }

    struct DenseLayer {
        var norm1: Backend.Affine
        var conv1: Backend.Convolution  // bn2 folded, ReLU epilogue
        var conv2: Backend.Convolution
        var norm3: Backend.Affine
        var conv3: Backend.Convolution
        var norm4: Backend.Affine
        var conv4: Backend.Convolution
    }

    struct Transition {
        var norm: Backend.Affine
        var conv: Backend.Convolution
    }

    public let backend: Backend
    public let architecture: AHNetArchitecture
    let stem: Backend.Convolution
    let stemAffine: Backend.Affine
    let layers: [[Bottleneck]]
    let ups: [Transition]  // up0, up1, up2, trans1, up3
    let dense: [[DenseLayer]]
    let final: Transition
    private var pool: BufferPool<Backend>

    /// Prepares every layer of the table (`AHNetLayers`) on the backend (weights are uploaded
    /// once, BatchNorms folded where the table says).
    public init(weights: AHNetWeights, backend: Backend) throws {
        self.backend = backend
        architecture = weights.architecture
        pool = BufferPool(backend: backend)
        let sd = weights.stateDict
        let table = AHNetLayers(architecture)
        func convolution(_ layer: AHNetLayers.Convolution) throws -> Backend.Convolution {
            try backend.prepare(prepareConvolution(
                sd, layer.name, stride: layer.stride, padding: layer.padding, foldingBatchNorm: layer.foldsNorm ? layer.norm?.name : nil))
        }
        func affine(_ norm: AHNetLayers.Norm?) throws -> Backend.Affine? {
            try norm.map { try backend.prepare(BatchNorm(sd, $0.name).affine) }
        }
        func affine(_ norm: AHNetLayers.Norm) throws -> Backend.Affine { try backend.prepare(BatchNorm(sd, norm.name).affine) }
        func transition(_ layer: AHNetLayers.Transition) throws -> Transition {
            Transition(norm: try affine(layer.norm), conv: try convolution(layer.conv))
        }
        stem = try convolution(table.stem)
        stemAffine = try affine(table.stemNorm)
        layers = try table.encoder.map { blocks in
            try blocks.map { block in
                Bottleneck(
                    conv1: try convolution(block.conv1), conv2: try convolution(block.conv2), conv3: try convolution(block.conv3),
                    planes: block.planes, stride: block.stride,
                    downsample: try block.downsample.map(convolution),
                    downsampleAffine: try block.downsample.flatMap { $0.foldsNorm ? nil : try affine($0.norm) })
            }
        }
        ups = try table.transitions.map(transition)
        final = try transition(table.final)
        dense = try table.dense.map { block in
            try block.map { layer in
                DenseLayer(
                    norm1: try affine(layer.norm1), conv1: try convolution(layer.conv1), conv2: try convolution(layer.conv2),
                    norm3: try affine(layer.norm3), conv3: try convolution(layer.conv3),
                    norm4: try affine(layer.norm4), conv4: try convolution(layer.conv4))
            }
        }
    }

    /// Runs the network on `batch` windows stored `[N][C][k][j][i]` (NIfTI order per window, i fastest) and
    /// returns the logits in the same layout, `outChannels` channels.
    public func forward(_ input: [Float], batch: Int, size: Size3) throws -> [Float] {
        guard size.allSatisfy({ $0 > 0 && $0 % 32 == 0 }) else {
            throw AHNetError.invalidInputSize(size)
        }
        let expected = batch * architecture.inChannels * size.product
        guard input.count == expected else { throw AHNetError.inputCountMismatch(expected: expected, actual: input.count) }
        let chunk = windowsPerForward(size: size)
        guard batch > chunk else { return try forwardChunk(input, batch: batch, size: size) }
        // Samples are independent: a batch too large for the backend's buffers runs in parts.
        var output: [Float] = []
        output.reserveCapacity(batch * architecture.outChannels * size.product)
        let inputPerWindow = architecture.inChannels * size.product
        for start in stride(from: 0, to: batch, by: chunk) {
            let count = min(chunk, batch - start)
            let part = Array(input[(start * inputPerWindow)..<((start + count) * inputPerWindow)])
            output += try forwardChunk(part, batch: count, size: size)
        }
        return output
    }

    /// How many windows of `size` one forward holds without a buffer passing the backend's
    /// `maximumBufferElements`. The largest buffer is the stem's output (64 channels at half the
    /// in-plane size), which later holds the temporaries; `BufferPool` checks every buffer anyway.
    public func windowsPerForward(size: Size3) -> Int {
        let perWindow = AHNetLayers.stemChannels * (size.i / 2) * (size.j / 2) * size.k
        return max(1, backend.maximumBufferElements / max(perWindow, 1))
    }

    private func forwardChunk(_ input: [Float], batch: Int, size: Size3) throws -> [Float] {

        let inputRegion = try region(.input, channels: architecture.inChannels, batch: batch, size: size)
        try input.withUnsafeBufferPointer { try backend.upload($0, to: inputRegion.buffer, at: 0) }

        // Encoder stem: conv (7,7,3)/(2,2,1) -> max-pool (1,1,2) -> bn0 + ReLU = conv_x.
        let stemSize = Size3(size.i / 2, size.j / 2, size.k)
        let stemChannels = AHNetLayers.stemChannels
        // The stem's output is dead once pooled: its buffer ("scratch") then holds the bottlenecks'
        // temporaries, the dense layers' temporaries and the dense0-3 block buffers.
        let stemOut = try region(.scratch, channels: stemChannels, batch: batch, size: stemSize)
        try backend.convolve(inputRegion, stem, inputAffine: nil, into: stemOut, epilogue: Epilogue())
        let convX = try region(.convX, channels: stemChannels, batch: batch, size: halved(stemSize, i: false, j: false, k: true))
        try backend.maxPool(stemOut, kernel: Size3(1, 1, 2), stride: Size3(1, 1, 2), padding: .zero, into: convX,
                            epilogue: Epilogue(affine: stemAffine, relu: true))
        // Max-pool 3/2/1 in all axes = pool_x.
        let poolX = try region(.poolX, channels: stemChannels, batch: batch, size: halved(convX.size))
        try backend.maxPool(convX, kernel: Size3(3, 3, 3), stride: Size3(2, 2, 2), padding: Size3(1, 1, 1), into: poolX, epilogue: Epilogue())

        var features: [Region] = []
        var x = poolX
        for (index, blocks) in layers.enumerated() {
            for (blockIndex, block) in blocks.enumerated() {
                let isLast = blockIndex == blocks.count - 1
                x = try bottleneck(block, input: x, output: isLast ? .feature(index + 1) : .scratchSlot(blockIndex % 2))
            }
            features.append(x)
        }

        // Decoder: up0..up2 add fm3..fm1 into the next dense block's buffer. The buffers of dense0
        // to dense3 alternate between two slots of the scratch buffer after the dense layers'
        // temporaries (a block is read only by the next level), each slot as large as dense2's,
        // the widest at the largest of these sizes: (120 + 2 x 316) of the stem's 1024 channels
        // at pool_x size.
        let grown = AHNetLayers.denseLayers * AHNetLayers.growth
        let poolUnit = batch * poolX.size.product
        let temporariesSize = (AHNetLayers.denseBottleneck + 2 * AHNetLayers.growth) * poolUnit
        let slotSize = (features[0].channels + grown) * poolUnit
        func blockBuffer(level: Int, channels: Int, size: Size3) throws -> Region {
            try scratchRegion(channels: channels, batch: batch, size: size, base: temporariesSize + (level % 2) * slotSize)
        }
        var current = features[3]
        for level in 0..<3 {
            let skip = features[2 - level]
            let blockChannels = skip.channels + grown
            let block = try blockBuffer(level: level, channels: blockChannels, size: skip.size)
            try upTransition(ups[level], input: current, skip: skip, into: block.slice(0..<skip.channels))
            try denseBlock(dense[level], buffer: block, startChannels: skip.channels)
            current = block
        }
        // trans1: projection 316 -> 64 at pool_x size, + pool_x.
        let dense3 = try blockBuffer(level: 3, channels: stemChannels + grown, size: poolX.size)
        let trans = ups[3]
        try backend.convolve(current, trans.conv, inputAffine: trans.norm, into: dense3.slice(0..<stemChannels), epilogue: Epilogue(residual: poolX))
        try denseBlock(dense[3], buffer: dense3, startChannels: stemChannels)
        // up3 adds conv_x; dense4 at conv_x size.
        let dense4 = try region(.dense4, channels: stemChannels + grown, batch: batch, size: convX.size)
        try upTransition(ups[4], input: dense3, skip: convX, into: dense4.slice(0..<stemChannels))
        try denseBlock(dense[4], buffer: dense4, startChannels: stemChannels)

        // final: BN, ReLU, conv (3,3,1) -> upsample x2.
        let outChannels = architecture.outChannels
        let low = try region(.finalLow, channels: outChannels, batch: batch, size: convX.size)
        try backend.convolve(dense4, final.conv, inputAffine: final.norm, into: low, epilogue: Epilogue())
        let logits = try region(.logits, channels: outChannels, batch: batch, size: size)
        try backend.upsampleTrilinear2x(low, adding: nil, into: logits)

        var output = [Float](repeating: 0, count: batch * outChannels * size.product)
        try output.withUnsafeMutableBufferPointer { try backend.download(logits.buffer, at: 0, into: $0) }
        return output
    }

    // MARK: - Blocks

    /// Where a bottleneck writes its output: a named feature map kept for the decoder, or one of
    /// two alternating slots of the scratch buffer.
    private enum BottleneckOutput {
        case feature(Int)
        case scratchSlot(Int)
    }

    /// A bottleneck. Its temporaries, and the outputs of all but a layer's last block, live in
    /// the scratch buffer (dead between the stem's pooling and the dense blocks), one after the
    /// other: [block 0 | block 1 | residual | t1 | t2 | projected | t3], in units of the block's
    /// output size, which is the same for every block of a layer. In layer1, the largest, this is
    /// 3.5 units of 256 channels at pool_x size: 22.4 of the stem's 25.7 M elements per window.
    private func bottleneck(_ block: Bottleneck, input x: Region, output: BottleneckOutput) throws -> Region {
        let batch = x.batch
        let strided = Size3(x.size.i / block.stride, x.size.j / block.stride, x.size.k)
        let outChannels = block.planes * 4
        let pooledSize = block.downsample != nil && block.stride != 1 ? Size3(strided.i, strided.j, strided.k / block.stride) : x.size
        let unit = batch * outChannels * pooledSize.product
        var next = 3 * unit
        func temporary(channels: Int, size: Size3) throws -> Region {
            defer { next += batch * channels * size.product }
            return try scratchRegion(channels: channels, batch: batch, size: size, base: next)
        }
        func out() throws -> Region {
            switch output {
            case .feature(let level): return try region(.feature(level), channels: outChannels, batch: batch, size: pooledSize)
            case .scratchSlot(let slot): return try scratchRegion(channels: outChannels, batch: batch, size: pooledSize, base: slot * unit)
            }
        }
        let residualSlot = 2 * unit
        let t1 = try temporary(channels: block.planes, size: x.size)
        try backend.convolve(x, block.conv1, inputAffine: nil, into: t1, epilogue: Epilogue(relu: true))
        let t2 = try temporary(channels: block.planes, size: strided)
        try backend.convolve(t1, block.conv2, inputAffine: nil, into: t2, epilogue: Epilogue(relu: true))

        guard let downsample = block.downsample else {
            let out = try out()
            try backend.convolve(t2, block.conv3, inputAffine: nil, into: out, epilogue: Epilogue(residual: x, relu: true))
            return out
        }
        if block.stride == 1 {
            let residual = try scratchRegion(channels: outChannels, batch: batch, size: x.size, base: residualSlot)
            try backend.convolve(x, downsample, inputAffine: nil, into: residual, epilogue: Epilogue())
            let out = try out()
            try backend.convolve(t2, block.conv3, inputAffine: nil, into: out, epilogue: Epilogue(residual: residual, relu: true))
            return out
        }
        // Strided first block: both paths are max-pooled (1,1,s) along D; the downsample
        // BatchNorm follows its pool.
        let projected = try temporary(channels: outChannels, size: strided)
        try backend.convolve(x, downsample, inputAffine: nil, into: projected, epilogue: Epilogue())
        let residual = try scratchRegion(channels: outChannels, batch: batch, size: pooledSize, base: residualSlot)
        let depthPool = Size3(1, 1, block.stride)
        try backend.maxPool(projected, kernel: depthPool, stride: depthPool, padding: .zero, into: residual,
                            epilogue: Epilogue(affine: block.downsampleAffine))
        let main = try temporary(channels: outChannels, size: strided)
        try backend.convolve(t2, block.conv3, inputAffine: nil, into: main, epilogue: Epilogue())
        let out = try out()
        try backend.maxPool(main, kernel: depthPool, stride: depthPool, padding: .zero, into: out,
                            epilogue: Epilogue(residual: residual, relu: true))
        return out
    }

    /// BN, ReLU, conv 1x1x1, trilinear x2, + skip, written into `output`.
    private func upTransition(_ transition: Transition, input: Region, skip: Region, into output: Region) throws {
        let low = try region(.upLow, channels: output.channels, batch: input.batch, size: input.size)
        try backend.convolve(input, transition.conv, inputAffine: transition.norm, into: low, epilogue: Epilogue())
        try backend.upsampleTrilinear2x(low, adding: skip, into: output)
    }

    /// Three Pseudo-3D layers, each appending 20 channels to `buffer` in place.
    private func denseBlock(_ layers: [DenseLayer], buffer: Region, startChannels: Int) throws {
        var channels = startChannels
        let growth = AHNetLayers.growth
        // The three temporaries of a layer are channel slices of one region in the stem's buffer
        // (at dense4, the largest, 120 channels of conv_x's size fit in the stem's 64 of twice the depth).
        let bottleneckChannels = AHNetLayers.denseBottleneck
        let temporaries = try scratchRegion(channels: bottleneckChannels + 2 * growth, batch: buffer.batch, size: buffer.size, base: 0)
        let bottleneck = temporaries.slice(0..<bottleneckChannels)
        let a = temporaries.slice(bottleneckChannels..<(bottleneckChannels + growth))
        let sum = temporaries.slice((bottleneckChannels + growth)..<(bottleneckChannels + 2 * growth))
        for layer in layers {
            let x = buffer.slice(0..<channels)
            try backend.convolve(x, layer.conv1, inputAffine: layer.norm1, into: bottleneck, epilogue: Epilogue(relu: true))
            try backend.convolve(bottleneck, layer.conv2, inputAffine: nil, into: a, epilogue: Epilogue())
            try backend.convolve(a, layer.conv3, inputAffine: layer.norm3, into: sum, epilogue: Epilogue(residual: a))
            try backend.convolve(sum, layer.conv4, inputAffine: layer.norm4, into: buffer.slice(channels..<(channels + growth)), epilogue: Epilogue())
            channels += growth
        }
    }

    // MARK: - Memory

    private func region(_ role: BufferRole, channels: Int, batch: Int, size: Size3) throws -> Region {
        let buffer = try pool.buffer(role, count: batch * channels * size.product)
        return Region(buffer: buffer, batch: batch, bufferChannels: channels, size: size)
    }

    /// A tensor at element `base` of the scratch buffer (the stem's output, then temporaries).
    private func scratchRegion(channels: Int, batch: Int, size: Size3, base: Int) throws -> Region {
        let buffer = try pool.buffer(.scratch, count: base + batch * channels * size.product)
        return Region(buffer: buffer, batch: batch, bufferChannels: channels, size: size, base: base)
    }

    private func halved(_ size: Size3, i: Bool = true, j: Bool = true, k: Bool = true) -> Size3 {
        Size3(i ? size.i / 2 : size.i, j ? size.j / 2 : size.j, k ? size.k / 2 : size.k)
    }
}

/// What an activation buffer holds: the pool keeps one buffer per role. `scratch` starts as the
/// stem's output and then holds every short-lived tensor at fixed offsets; `feature(n)` is the
/// output of encoder layer n (fm1...fm4), kept for the decoder's skips.
enum BufferRole: Hashable {
    case input, scratch, convX, poolX, feature(Int), dense4, upLow, finalLow, logits
}

/// Activation buffers by role, allocated on first use and reused by every later forward of the
/// same (or a smaller) window shape: the memory of a forward is planned once per shape.
struct BufferPool<Backend: AHNetBackend> {
    let backend: Backend
    private var buffers: [BufferRole: (buffer: Backend.Buffer, count: Int)] = [:]

    init(backend: Backend) { self.backend = backend }

    mutating func buffer(_ role: BufferRole, count: Int) throws -> Backend.Buffer {
        if let existing = buffers[role], existing.count >= count { return existing.buffer }
        guard count <= backend.maximumBufferElements else {
            throw AHNetError.bufferTooLarge(elements: count, limit: backend.maximumBufferElements)
        }
        let buffer = try backend.makeBuffer(count: count)
        buffers[role] = (buffer, count)
        return buffer
    }
}
