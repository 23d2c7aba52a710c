import COpenCL

/// A kernel argument. kernels.cl takes sizes and offsets as 32-bit `int`.
enum KernelArgument {
    case buffer(OpenCLBuffer)
    case int(Int)
}

extension OpenCLRuntime {
    func makeKernel(_ name: String, narrow: Bool = false) throws(OpenCLError) -> cl_kernel {
        var status: cl_int = 0
        guard let kernel = clCreateKernel(narrow ? (narrowProgram ?? program) : program, name, &status), status == 0 else {
            throw .callFailed(function: "clCreateKernel(\(name))", code: status)
        }
        return kernel
    }

    /// A device buffer of `count` floats, refused before allocation when larger than the device allows.
    func makeBuffer(count: Int) throws(OpenCLError) -> OpenCLBuffer {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard UInt64(bytes) <= device.maxAllocationBytes else {
            throw .allocationTooLarge(bytes: bytes, limit: Int(device.maxAllocationBytes))
        }
        var status: cl_int = 0
        guard let memory = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &status), status == 0 else {
            throw status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES
                ? .outOfMemory(bytes: bytes) : .callFailed(function: "clCreateBuffer", code: status)
        }
        return OpenCLBuffer(memory: memory, count: max(count, 1))
    }

    /// A device buffer holding `values`.
    func makeBuffer(values: [Float]) throws(OpenCLError) -> OpenCLBuffer {
        let buffer = try makeBuffer(count: values.count)
        try values.withUnsafeBufferPointer { pointer throws(OpenCLError) in try write(pointer, to: buffer, at: 0) }
        return buffer
    }

    func write(_ values: UnsafeBufferPointer<Float>, to buffer: OpenCLBuffer, at offset: Int) throws(OpenCLError) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        precondition(offset + values.count <= buffer.count)
        let stride = MemoryLayout<Float>.stride
        try check(clEnqueueWriteBuffer(queue, buffer.memory, cl_bool(CL_TRUE), offset * stride, values.count * stride, base, 0, nil, nil), "clEnqueueWriteBuffer")
    }

    /// Blocking read: waits for every command before it in the queue.
    func read(_ buffer: OpenCLBuffer, at offset: Int, into values: UnsafeMutableBufferPointer<Float>) throws(OpenCLError) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        precondition(offset + values.count <= buffer.count)
        let stride = MemoryLayout<Float>.stride
        try check(clEnqueueReadBuffer(queue, buffer.memory, cl_bool(CL_TRUE), offset * stride, values.count * stride, base, 0, nil, nil), "clEnqueueReadBuffer")
    }

    func finish() throws(OpenCLError) { try check(clFinish(queue), "clFinish") }

    /// Sets the arguments and enqueues the kernel (no wait). Global sizes are rounded up to the
    /// local size where one is given.
    func run(_ kernel: cl_kernel, arguments: [KernelArgument], global: [Int], local: [Int]?) throws(OpenCLError) {
        for (index, argument) in arguments.enumerated() {
            switch argument {
            case .buffer(let buffer):
                var memory: cl_mem? = buffer.memory
                try setArgument(kernel, cl_uint(index), &memory)
            case .int(let value):
                // The graph keeps buffers below 2^31 elements (`maximumBufferElements`); a value
                // that does not fit is refused, never wrapped.
                guard var number = cl_int(exactly: value) else { throw .integerArgumentOverflow(index: index, value: value) }
                try setArgument(kernel, cl_uint(index), &number)
            }
        }
        guard global.allSatisfy({ $0 > 0 }) else { return }
        var globalSize = global
        var localSize = local ?? []
        if let local {
            for axis in globalSize.indices { globalSize[axis] = (globalSize[axis] + local[axis] - 1) / local[axis] * local[axis] }
        }
        let status = localSize.isEmpty
            ? clEnqueueNDRangeKernel(queue, kernel, cl_uint(globalSize.count), nil, &globalSize, nil, 0, nil, nil)
            : clEnqueueNDRangeKernel(queue, kernel, cl_uint(globalSize.count), nil, &globalSize, &localSize, 0, nil, nil)
        try check(status, "clEnqueueNDRangeKernel")
    }
}
