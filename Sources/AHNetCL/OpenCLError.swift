/// Why the OpenCL backend could not run.
public enum OpenCLError: Error, Equatable, Sendable {
    /// No OpenCL platform is installed (no ICD file, or the loader found no driver).
    case noPlatform
    /// No device at the requested index.
    case noDevice(index: Int, available: Int)
    /// An OpenCL call failed; `code` is the CL error code.
    case callFailed(function: String, code: Int32)
    /// kernels.cl did not build on the device; `log` is the compiler's build log.
    case buildFailed(device: String, log: String)
    /// A buffer larger than the device allows (CL_DEVICE_MAX_MEM_ALLOC_SIZE).
    case allocationTooLarge(bytes: Int, limit: Int)
    /// The device ran out of memory.
    case outOfMemory(bytes: Int)
    /// A size or offset passed to a kernel does not fit its 32-bit `int`.
    case integerArgumentOverflow(index: Int, value: Int)
}

extension OpenCLError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .noPlatform:
            return "no OpenCL platform found (install a driver: NVIDIA's, or pocl-opencl-icd for the CPU)"
        case .noDevice(let index, let available):
            return "no OpenCL device \(index): \(available) device(s) available (see `lungseg devices`)"
        case .callFailed(let function, let code):
            return "OpenCL call \(function) failed with error \(code)"
        case .buildFailed(let device, let log):
            return "kernels.cl failed to build on \(device):\n\(log)"
        case .allocationTooLarge(let bytes, let limit):
            return "a buffer of \(bytes) bytes exceeds the device's largest allocation (\(limit) bytes)"
        case .outOfMemory(let bytes):
            return "the OpenCL device is out of memory (allocating \(bytes) bytes); try a smaller --batch"
        case .integerArgumentOverflow(let index, let value):
            return "kernel argument \(index) is \(value), beyond kernels.cl's 32-bit int (a smaller --batch or window)"
        }
    }
}

/// Throws `callFailed` unless `code` is CL_SUCCESS.
@inline(__always)
func check(_ code: Int32, _ function: @autoclosure () -> String) throws(OpenCLError) {
    guard code == 0 else { throw .callFailed(function: function(), code: code) }
}
