import COpenCL

/// One OpenCL device as the driver describes it.
public struct OpenCLDeviceInfo: Sendable, Equatable {
    public var platformName: String
    public var platformVersion: String
    public var name: String
    public var vendor: String
    /// "GPU", "CPU", "accelerator" or "other".
    public var type: String
    public var globalMemoryBytes: UInt64
    public var maxAllocationBytes: UInt64
    public var computeUnits: UInt32
    /// Largest work-group.
    public var maxWorkGroupSize: Int
    /// The kernel language the device compiles, e.g. "OpenCL C 1.2".
    public var openCLCVersion: String
    public var driverVersion: String

    /// Whether this is a GPU.
    public var isGPU: Bool { type == "GPU" }
    /// Whether the driver is PoCL (OpenCL on the CPU), which the native CPU backend outruns.
    public var isPoCL: Bool { platformName.contains("Portable Computing Language") }
}

/// Finds OpenCL platforms and devices.
public enum OpenCLDevices {
    /// Every device of every platform, in platform order. An empty list when none is installed.
    public static func all() -> [OpenCLDeviceInfo] {
        (try? handles().map(\.info)) ?? []
    }

    typealias DeviceHandle = (platform: cl_platform_id, device: cl_device_id, info: OpenCLDeviceInfo)

    /// Platform and device handles, with their descriptions, found once per process: the ICD
    /// loader's first call is not safe to make from several threads at once.
    static func handles() throws(OpenCLError) -> [DeviceHandle] {
        try discovered.get()
    }

    private nonisolated(unsafe) static let discovered: Result<[DeviceHandle], OpenCLError> = Result {
        () throws(OpenCLError) in try discover()
    }

    private static func discover() throws(OpenCLError) -> [DeviceHandle] {
        var platformCount: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &platformCount)
        // The ICD loader answers CL_PLATFORM_NOT_FOUND_KHR (-1001) when no driver is installed.
        guard status == 0, platformCount > 0 else { throw .noPlatform }
        var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
        try check(clGetPlatformIDs(platformCount, &platforms, nil), "clGetPlatformIDs")

        var result: [DeviceHandle] = []
        for case let platform? in platforms {
            var deviceCount: cl_uint = 0
            guard clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &deviceCount) == 0,
                  deviceCount > 0 else { continue }
            var devices = [cl_device_id?](repeating: nil, count: Int(deviceCount))
            try check(clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), deviceCount, &devices, nil), "clGetDeviceIDs")
            for case let device? in devices {
                result.append((platform: platform, device: device, info: describe(platform: platform, device: device)))
            }
        }
        return result
    }

    private static func describe(platform: cl_platform_id, device: cl_device_id) -> OpenCLDeviceInfo {
        let type: cl_device_type = deviceValue(device, CL_DEVICE_TYPE, default: 0)
        let typeName: String
        if type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 {
            typeName = "GPU"
        } else if type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 {
            typeName = "CPU"
        } else if type & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 {
            typeName = "accelerator"
        } else {
            typeName = "other"
        }
        return OpenCLDeviceInfo(
            platformName: platformString(platform, CL_PLATFORM_NAME),
            platformVersion: platformString(platform, CL_PLATFORM_VERSION),
            name: deviceString(device, CL_DEVICE_NAME),
            vendor: deviceString(device, CL_DEVICE_VENDOR),
            type: typeName,
            globalMemoryBytes: deviceValue(device, CL_DEVICE_GLOBAL_MEM_SIZE, default: 0),
            maxAllocationBytes: deviceValue(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, default: 0),
            computeUnits: deviceValue(device, CL_DEVICE_MAX_COMPUTE_UNITS, default: 0),
            maxWorkGroupSize: deviceValue(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, default: 0),
            openCLCVersion: deviceString(device, CL_DEVICE_OPENCL_C_VERSION),
            driverVersion: deviceString(device, CL_DRIVER_VERSION))
    }

    private static func platformString(_ platform: cl_platform_id, _ parameter: Int32) -> String {
        var size = 0
        guard clGetPlatformInfo(platform, cl_platform_info(parameter), 0, nil, &size) == 0, size > 0 else { return "" }
        var bytes = [CChar](repeating: 0, count: size)
        guard clGetPlatformInfo(platform, cl_platform_info(parameter), size, &bytes, nil) == 0 else { return "" }
        return cString(bytes)
    }

    static func deviceString(_ device: cl_device_id, _ parameter: Int32) -> String {
        var size = 0
        guard clGetDeviceInfo(device, cl_device_info(parameter), 0, nil, &size) == 0, size > 0 else { return "" }
        var bytes = [CChar](repeating: 0, count: size)
        guard clGetDeviceInfo(device, cl_device_info(parameter), size, &bytes, nil) == 0 else { return "" }
        return cString(bytes)
    }

    static func deviceValue<Value: BinaryInteger>(_ device: cl_device_id, _ parameter: Int32, default fallback: Value) -> Value {
        var value = fallback
        let status = withUnsafeMutableBytes(of: &value) {
            clGetDeviceInfo(device, cl_device_info(parameter), $0.count, $0.baseAddress, nil)
        }
        return status == 0 ? value : fallback
    }

    private static func cString(_ bytes: [CChar]) -> String {
        let prefix = bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let text = String(decoding: prefix, as: UTF8.self)
        // Drivers pad some strings with spaces (NVIDIA's device version, PoCL's names).
        return String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
