/// Output size of a convolution or pooling along one axis (PyTorch's floor rule).
@inlinable
public func outputLength(_ input: Int, kernel: Int, stride: Int, padding: Int) -> Int {
    (input + 2 * padding - kernel) / stride + 1
}

/// A per-channel `x * scale + shift`: an eval-mode BatchNorm.
public struct ChannelAffine: Sendable, Equatable {
    public var scale: [Float]
    public var shift: [Float]

    public init(scale: [Float], shift: [Float]) {
        precondition(scale.count == shift.count)
        self.scale = scale
        self.shift = shift
    }

    public var channels: Int { scale.count }
}

/// A convolution ready to run: weights permuted to `[Cout][Cin][kD][kW][kH]` (the memory order
/// of activations), BatchNorm folded in where it folds, and an optional bias.
public struct PreparedConvolution: Sendable {
    public var outChannels: Int
    public var inChannels: Int
    public var kernel: Size3
    public var stride: Size3
    public var padding: Size3
    public var weights: [Float]
    public var bias: [Float]?

    public init(outChannels: Int, inChannels: Int, kernel: Size3, stride: Size3, padding: Size3, weights: [Float], bias: [Float]?) {
        precondition(weights.count == outChannels * inChannels * kernel.i * kernel.j * kernel.k)
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.weights = weights
        self.bias = bias
    }

    /// Multiply-accumulates per output voxel.
    public var macsPerOutput: Int { inChannels * kernel.i * kernel.j * kernel.k }

    public func outputSize(for input: Size3) -> Size3 {
        Size3.byAxis { outputLength(input[$0], kernel: kernel[$0], stride: stride[$0], padding: padding[$0]) }
    }
}

/// Channels `channelOffset ..< channelOffset + channels` of a tensor that holds `batch` samples
/// of `bufferChannels` channels each, stored `[N][C][k][j][i]` (i fastest) from element `base` of a buffer.
/// Dense blocks write their new channels into a slice of one preallocated buffer instead of
/// concatenating copies; short-lived tensors share one buffer at different `base`s.
public struct ActivationRegion<Buffer> {
    public var buffer: Buffer
    public var batch: Int
    public var bufferChannels: Int
    public var channelOffset: Int
    public var channels: Int
    public var size: Size3
    /// Element index in the buffer where the tensor starts.
    public var base: Int

    public init(
        buffer: Buffer, batch: Int, bufferChannels: Int, channelOffset: Int = 0, channels: Int? = nil, size: Size3, base: Int = 0
    ) {
        self.buffer = buffer
        self.batch = batch
        self.bufferChannels = bufferChannels
        self.channelOffset = channelOffset
        self.channels = channels ?? bufferChannels
        self.size = size
        self.base = base
        precondition(base >= 0 && channelOffset >= 0 && self.channels >= 0 && channelOffset + self.channels <= bufferChannels)
    }

    /// Element index of (sample, channel, 0, 0, 0) in the buffer.
    @inlinable
    public func offset(sample: Int, channel: Int = 0) -> Int {
        base + (sample * bufferChannels + channelOffset + channel) * size.product
    }

    /// A narrower slice of the same tensor.
    public func slice(_ range: Range<Int>) -> ActivationRegion {
        ActivationRegion(
            buffer: buffer, batch: batch, bufferChannels: bufferChannels, channelOffset: channelOffset + range.lowerBound,
            channels: range.count, size: size, base: base)
    }
}

/// What happens to a result before it is stored: `relu((x * scale + shift) + residual)`, each part optional.
public struct Epilogue<Buffer, Affine> {
    public var affine: Affine?
    public var residual: ActivationRegion<Buffer>?
    public var relu: Bool

    public init(affine: Affine? = nil, residual: ActivationRegion<Buffer>? = nil, relu: Bool = false) {
        self.affine = affine
        self.residual = residual
        self.relu = relu
    }
}

/// The operations AH-Net needs, implemented by each compute backend on its own storage. The
/// network itself is described once, in `AHNetGraph`, against this protocol.
public protocol AHNetBackend: AnyObject {
    /// Device storage for activations.
    associatedtype Buffer
    /// A convolution uploaded once.
    associatedtype Convolution
    /// Per-channel scale and shift uploaded once.
    associatedtype Affine

    /// A name for reports, e.g. "CPU (OpenBLAS, 2 threads)".
    var deviceDescription: String { get }

    /// The most elements one buffer may hold for the backend's kernels to address it correctly
    /// (OpenCL's kernels index with 32-bit `int`). `AHNetGraph` splits a batch into forwards that
    /// stay below it and refuses a window that alone would not.
    var maximumBufferElements: Int { get }

    func makeBuffer(count: Int) throws -> Buffer
    func prepare(_ convolution: PreparedConvolution) throws -> Convolution
    func prepare(_ affine: ChannelAffine) throws -> Affine

    /// Copies host values into a buffer at an element offset.
    func upload(_ values: UnsafeBufferPointer<Float>, to buffer: Buffer, at offset: Int) throws
    /// Copies buffer elements to host memory (waits for pending work).
    func download(_ buffer: Buffer, at offset: Int, into values: UnsafeMutableBufferPointer<Float>) throws

    /// `output = epilogue(conv(relu(input * inputAffine) if given, else input) + bias)`. Zero padding
    /// applies after the input transform, as PyTorch pads the activated tensor.
    func convolve(
        _ input: ActivationRegion<Buffer>, _ convolution: Convolution, inputAffine: Affine?,
        into output: ActivationRegion<Buffer>, epilogue: Epilogue<Buffer, Affine>) throws

    /// Max pooling with implicit -infinity padding, then the epilogue.
    func maxPool(
        _ input: ActivationRegion<Buffer>, kernel: Size3, stride: Size3, padding: Size3,
        into output: ActivationRegion<Buffer>, epilogue: Epilogue<Buffer, Affine>) throws

    /// Trilinear x2 upsampling with align_corners=True along all three axes, plus `skip` if given.
    func upsampleTrilinear2x(_ input: ActivationRegion<Buffer>, adding skip: ActivationRegion<Buffer>?, into output: ActivationRegion<Buffer>) throws

    /// Waits until all submitted work is done.
    func synchronize() throws
}

extension AHNetBackend {
    /// No limit beyond memory (the CPU backend indexes with `Int`).
    public var maximumBufferElements: Int { .max }
}
