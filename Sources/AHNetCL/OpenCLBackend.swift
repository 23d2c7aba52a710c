import AHNet
import COpenCL

/// A device buffer of float32, released with the object.
public final class OpenCLBuffer: @unchecked Sendable {
    // The handle never changes after init; OpenCL memory objects are thread-safe.
    let memory: cl_mem
    public let count: Int

    init(memory: cl_mem, count: Int) {
        self.memory = memory
        self.count = count
    }

    deinit { clReleaseMemObject(memory) }
}

/// A convolution whose weights (and bias) live on the device.
public final class OpenCLConvolution: @unchecked Sendable {
    let spec: PreparedConvolution
    let weights: OpenCLBuffer
    let bias: OpenCLBuffer?
    init(spec: PreparedConvolution, weights: OpenCLBuffer, bias: OpenCLBuffer?) {
        self.spec = spec
        self.weights = weights
        self.bias = bias
    }
}

/// Per-channel scale and shift on the device, stored `[scale..., shift...]`.
public final class OpenCLAffine: @unchecked Sendable {
    let values: OpenCLBuffer
    let channels: Int
    init(values: OpenCLBuffer, channels: Int) {
        self.values = values
        self.channels = channels
    }
}

/// The OpenCL backend: kernels.cl on one device, one in-order queue, weights uploaded once,
/// kernels enqueued without waiting; the host synchronises only when it reads results.
public final class OpenCLBackend: AHNetBackend {
    public typealias Buffer = OpenCLBuffer
    public typealias Convolution = OpenCLConvolution
    public typealias Affine = OpenCLAffine

    public let runtime: OpenCLRuntime
    private let convKernel: cl_kernel
    /// The same kernel built with narrow tiles, used when Cout fits them.
    private let narrowConv: (kernel: cl_kernel, tiles: ConvolutionTiles)?
    private let poolKernel: cl_kernel
    private let upsampleKernel: cl_kernel
    /// Bound to kernel arguments that a call does not use (never read).
    private let placeholder: OpenCLBuffer

    public init(runtime: OpenCLRuntime) throws(OpenCLError) {
        self.runtime = runtime
        convKernel = try runtime.makeKernel("conv3d")
        if runtime.narrowProgram != nil, let narrow = runtime.tiles.narrow {
            narrowConv = (try runtime.makeKernel("conv3d", narrow: true), narrow)
        } else {
            narrowConv = nil
        }
        poolKernel = try runtime.makeKernel("maxpool3d")
        upsampleKernel = try runtime.makeKernel("upsample2x")
        placeholder = try runtime.makeBuffer(count: 1)
    }

    /// Opens device `deviceIndex` (see `OpenCLDevices.all()`); see `OpenCLRuntime.init` for the tiles.
    public convenience init(deviceIndex: Int = 0, tiles: ConvolutionTiles? = nil, narrowTiles: Bool = true) throws(OpenCLError) {
        try self.init(runtime: OpenCLRuntime(deviceIndex: deviceIndex, tiles: tiles, narrowTiles: narrowTiles))
    }

    deinit {
        clReleaseKernel(convKernel)
        if let narrowConv { clReleaseKernel(narrowConv.kernel) }
        clReleaseKernel(poolKernel)
        clReleaseKernel(upsampleKernel)
    }

    public var deviceDescription: String { "OpenCL: \(runtime.device.name) (\(runtime.device.platformName))" }

    /// kernels.cl indexes buffers with 32-bit `int`, and the device caps one allocation.
    public var maximumBufferElements: Int {
        min(Int(Int32.max), Int(clamping: runtime.device.maxAllocationBytes) / MemoryLayout<Float>.stride)
    }

    public func makeBuffer(count: Int) throws -> OpenCLBuffer { try runtime.makeBuffer(count: count) }

    public func prepare(_ convolution: PreparedConvolution) throws -> OpenCLConvolution {
        let weights = try runtime.makeBuffer(values: convolution.weights)
        let bias = try convolution.bias.map { bias throws(OpenCLError) in try runtime.makeBuffer(values: bias) }
        return OpenCLConvolution(spec: convolution, weights: weights, bias: bias)
    }

    public func prepare(_ affine: ChannelAffine) throws -> OpenCLAffine {
        OpenCLAffine(values: try runtime.makeBuffer(values: affine.scale + affine.shift), channels: affine.channels)
    }

    public func upload(_ values: UnsafeBufferPointer<Float>, to buffer: OpenCLBuffer, at offset: Int) throws {
        try runtime.write(values, to: buffer, at: offset)
    }

    public func download(_ buffer: OpenCLBuffer, at offset: Int, into values: UnsafeMutableBufferPointer<Float>) throws {
        try runtime.read(buffer, at: offset, into: values)
    }

    public func synchronize() throws { try runtime.finish() }

    public func convolve(
        _ input: ActivationRegion<OpenCLBuffer>, _ convolution: OpenCLConvolution, inputAffine: OpenCLAffine?,
        into output: ActivationRegion<OpenCLBuffer>, epilogue: Epilogue<OpenCLBuffer, OpenCLAffine>
    ) throws {
        let spec = convolution.spec
        precondition(input.channels == spec.inChannels && output.channels == spec.outChannels, "channel mismatch")
        precondition(spec.outputSize(for: input.size) == output.size, "output size mismatch")
        var flags = Self.flags(epilogue)
        if convolution.bias != nil { flags |= 1 }
        if inputAffine != nil { flags |= 16 }
        let residual = epilogue.residual
        let positions = output.size.product
        let (kernel, tiles) = narrowConv.flatMap { spec.outChannels <= $0.tiles.tileM ? $0 : nil } ?? (convKernel, runtime.tiles)
        try runtime.run(
            kernel,
            arguments: [
                .buffer(input.buffer), .int(input.offset(sample: 0)), .int(input.bufferChannels * input.size.product),
                .buffer(convolution.weights), .buffer(convolution.bias ?? placeholder),
                .buffer(inputAffine?.values ?? placeholder), .buffer(epilogue.affine?.values ?? placeholder),
                .buffer(residual?.buffer ?? placeholder), .int(residual?.offset(sample: 0) ?? 0),
                .int((residual?.bufferChannels ?? 0) * (residual?.size.product ?? 0)),
                .buffer(output.buffer), .int(output.offset(sample: 0)), .int(output.bufferChannels * positions),
                .int(spec.inChannels), .int(spec.outChannels),
                .int(input.size.k), .int(input.size.j), .int(input.size.i),
                .int(output.size.k), .int(output.size.j), .int(output.size.i),
                .int(spec.kernel.k), .int(spec.kernel.j), .int(spec.kernel.i),
                .int(spec.stride.k), .int(spec.stride.j), .int(spec.stride.i),
                .int(spec.padding.k), .int(spec.padding.j), .int(spec.padding.i),
                .int(Int(flags)),
            ],
            global: [
                (positions + tiles.tileN - 1) / tiles.tileN * (tiles.tileN / tiles.workPerThreadN),
                (spec.outChannels + tiles.tileM - 1) / tiles.tileM * (tiles.tileM / tiles.workPerThreadM),
                input.batch,
            ],
            local: [tiles.tileN / tiles.workPerThreadN, tiles.tileM / tiles.workPerThreadM, 1])
    }

    /// The epilogue bits of kernels.cl (HAS_AFFINE 2, HAS_RESIDUAL 4, HAS_RELU 8).
    private static func flags(_ epilogue: Epilogue<OpenCLBuffer, OpenCLAffine>) -> Int32 {
        (epilogue.affine != nil ? 2 : 0) | (epilogue.residual != nil ? 4 : 0) | (epilogue.relu ? 8 : 0)
    }

    public func maxPool(
        _ input: ActivationRegion<OpenCLBuffer>, kernel: Size3, stride: Size3, padding: Size3,
        into output: ActivationRegion<OpenCLBuffer>, epilogue: Epilogue<OpenCLBuffer, OpenCLAffine>
    ) throws {
        precondition(input.channels == output.channels)
        let flags = Self.flags(epilogue)
        let residual = epilogue.residual
        try runtime.run(
            poolKernel,
            arguments: [
                .buffer(input.buffer), .int(input.offset(sample: 0)), .int(input.bufferChannels * input.size.product),
                .buffer(epilogue.affine?.values ?? placeholder),
                .buffer(residual?.buffer ?? placeholder), .int(residual?.offset(sample: 0) ?? 0),
                .int((residual?.bufferChannels ?? 0) * (residual?.size.product ?? 0)),
                .buffer(output.buffer), .int(output.offset(sample: 0)), .int(output.bufferChannels * output.size.product),
                .int(output.channels),
                .int(input.size.k), .int(input.size.j), .int(input.size.i),
                .int(output.size.k), .int(output.size.j), .int(output.size.i),
                .int(kernel.k), .int(kernel.j), .int(kernel.i),
                .int(stride.k), .int(stride.j), .int(stride.i),
                .int(padding.k), .int(padding.j), .int(padding.i), .int(Int(flags)),
            ],
            global: [output.size.product, output.channels, input.batch], local: nil)
    }

    public func upsampleTrilinear2x(
        _ input: ActivationRegion<OpenCLBuffer>, adding skip: ActivationRegion<OpenCLBuffer>?, into output: ActivationRegion<OpenCLBuffer>
    ) throws {
        precondition(output.size == Size3(input.size.i * 2, input.size.j * 2, input.size.k * 2))
        try runtime.run(
            upsampleKernel,
            arguments: [
                .buffer(input.buffer), .int(input.offset(sample: 0)), .int(input.bufferChannels * input.size.product),
                .buffer(skip?.buffer ?? placeholder), .int(skip?.offset(sample: 0) ?? 0),
                .int((skip?.bufferChannels ?? 0) * (skip?.size.product ?? 0)),
                .buffer(output.buffer), .int(output.offset(sample: 0)), .int(output.bufferChannels * output.size.product),
                .int(input.size.k), .int(input.size.j), .int(input.size.i), .int(skip == nil ? 0 : 1),
            ],
            global: [output.size.product, output.channels, input.batch], local: nil)
    }
}
