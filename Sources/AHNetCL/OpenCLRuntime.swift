import AHNet
import COpenCL
#if canImport(Glibc)
import Glibc
#endif

/// One OpenCL device with its context, in-order queue and the program built from the embedded
/// kernels.cl. Build once per process and share: building the program is the slow part.
public final class OpenCLRuntime: @unchecked Sendable {
    // The handles are created once in init and released in deinit; OpenCL objects are thread-safe
    // except kernels, which are created per call here.
    public let device: OpenCLDeviceInfo
    let context: cl_context
    let queue: cl_command_queue
    let program: cl_program
    let deviceID: cl_device_id

    /// The tile sizes kernels.cl was built with.
    public let tiles: ConvolutionTiles
    /// kernels.cl built again with `tiles.narrow`, for convolutions with few output channels; nil
    /// when there is no narrow variant or the caller turned it off.
    let narrowProgram: cl_program?

    /// Opens device `index` of `OpenCLDevices.all()` and builds kernels.cl for it, with the
    /// convolution tiles given or the defaults for the device; `narrowTiles` builds the narrow
    /// variant too when the tiles have one (a second program build, faster final layers on GPUs).
    public init(deviceIndex index: Int = 0, tiles: ConvolutionTiles? = nil, narrowTiles: Bool = true) throws(OpenCLError) {
        let handles = try OpenCLDevices.handles()
        guard handles.indices.contains(index) else { throw .noDevice(index: index, available: handles.count) }
        let chosen = handles[index]
        device = chosen.info
        deviceID = chosen.device
        let tiles = tiles ?? ConvolutionTiles.defaults(for: chosen.info)
        self.tiles = tiles

        var status: cl_int = 0
        var deviceList: cl_device_id? = chosen.device
        guard let context = clCreateContext(nil, 1, &deviceList, nil, nil, &status), status == 0 else {
            throw .callFailed(function: "clCreateContext", code: status)
        }
        self.context = context
        guard let queue = clCreateCommandQueue(context, chosen.device, 0, &status), status == 0 else {
            clReleaseContext(context)
            throw .callFailed(function: "clCreateCommandQueue", code: status)
        }
        self.queue = queue
        do {
            program = try Self.buildProgram(context: context, device: chosen.device, deviceName: chosen.info.name, options: tiles.buildOptions)
        } catch {
            clReleaseCommandQueue(queue)
            clReleaseContext(context)
            throw error
        }
        do {
            narrowProgram = try tiles.narrow.flatMap { narrow throws(OpenCLError) in
                narrowTiles ? try Self.buildProgram(context: context, device: chosen.device, deviceName: chosen.info.name, options: narrow.buildOptions) : nil
            }
        } catch {
            clReleaseProgram(program)
            clReleaseCommandQueue(queue)
            clReleaseContext(context)
            throw error
        }
    }

    deinit {
        if let narrowProgram { clReleaseProgram(narrowProgram) }
        clReleaseProgram(program)
        clReleaseCommandQueue(queue)
        clReleaseContext(context)
    }

    /// Builds `source` (kernels.cl unless given) for one device with `-cl-std=CL1.2` and `options`;
    /// a failed build throws with the compiler's log.
    static func buildProgram(
        source: String = embeddedKernelSource, context: cl_context, device: cl_device_id, deviceName: String, options: String
    ) throws(OpenCLError) -> cl_program {
        var status: cl_int = 0
        let program: cl_program? = source.withCString { text in
            var sourcePointer: UnsafePointer<CChar>? = text
            var length = source.utf8.count
            return clCreateProgramWithSource(context, 1, &sourcePointer, &length, &status)
        }
        guard let program, status == 0 else { throw .callFailed(function: "clCreateProgramWithSource", code: status) }
        var deviceList: cl_device_id? = device
        let buildStatus = clBuildProgram(program, 1, &deviceList, "-cl-std=CL1.2 " + options, nil, nil)
        guard buildStatus == 0 else {
            let log = buildLog(program: program, device: device)
            clReleaseProgram(program)
            throw .buildFailed(device: deviceName, log: log)
        }
        return program
    }

    private static func buildLog(program: cl_program, device: cl_device_id) -> String {
        var size = 0
        clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size)
        guard size > 0 else { return "(no build log)" }
        var bytes = [CChar](repeating: 0, count: size)
        clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &bytes, nil)
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `y = a * x + y` on the device: the smoke test that kernels.cl builds and runs.
    public func saxpy(a: Float, x: [Float], y: [Float]) throws(OpenCLError) -> [Float] {
        precondition(x.count == y.count, "x and y must have the same length")
        guard !x.isEmpty else { return [] }
        let bytes = x.count * MemoryLayout<Float>.stride
        guard UInt64(bytes) <= device.maxAllocationBytes else {
            throw .allocationTooLarge(bytes: bytes, limit: Int(device.maxAllocationBytes))
        }
        var status: cl_int = 0
        var input = x
        var output = y
        guard let xBuffer = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR), bytes, &input, &status), status == 0 else {
            throw .callFailed(function: "clCreateBuffer", code: status)
        }
        defer { clReleaseMemObject(xBuffer) }
        guard let yBuffer = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR), bytes, &output, &status), status == 0 else {
            throw .callFailed(function: "clCreateBuffer", code: status)
        }
        defer { clReleaseMemObject(yBuffer) }
        guard let kernel = clCreateKernel(program, "saxpy", &status), status == 0 else {
            throw .callFailed(function: "clCreateKernel(saxpy)", code: status)
        }
        defer { clReleaseKernel(kernel) }

        var count = cl_int(x.count)
        var scale = a
        var xHandle: cl_mem? = xBuffer
        var yHandle: cl_mem? = yBuffer
        try setArgument(kernel, 0, &count)
        try setArgument(kernel, 1, &scale)
        try setArgument(kernel, 2, &xHandle)
        try setArgument(kernel, 3, &yHandle)
        var globalSize = x.count
        try check(clEnqueueNDRangeKernel(queue, kernel, 1, nil, &globalSize, nil, 0, nil, nil), "clEnqueueNDRangeKernel(saxpy)")
        try check(clEnqueueReadBuffer(queue, yBuffer, cl_bool(CL_TRUE), 0, bytes, &output, 0, nil, nil), "clEnqueueReadBuffer")
        return output
    }

    func setArgument<Value>(_ kernel: cl_kernel, _ index: cl_uint, _ value: inout Value) throws(OpenCLError) {
        let status = withUnsafeBytes(of: &value) { clSetKernelArg(kernel, index, $0.count, $0.baseAddress) }
        try check(status, "clSetKernelArg(\(index))")
    }
}
