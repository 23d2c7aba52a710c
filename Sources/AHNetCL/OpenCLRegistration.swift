import AHNet

extension OpenCLError: BackendFailure {}

extension OpenCLBackend {
    /// The OpenCL backend in a `BackendRegistry`: available with any OpenCL device, accelerated
    /// when one is a GPU (`auto` opens the first GPU). Settings: "tiles" (M,N,K,perItemM,perItemN)
    /// and "narrow-tiles" ("0" turns the narrow build off). Discovery does not apply the NVIDIA ICD
    /// fallback: a caller that wants it runs `NVIDIAICDFallback.applyIfNeeded()` first.
    public static let registration = BackendRegistration(
        name: "opencl", summary: "kernels.cl through OpenCL 1.2 (NVIDIA's driver, PoCL, ...)", selectsDevices: true,
        availability: {
            let devices = OpenCLDevices.all()
            let gpus = devices.indices.filter { devices[$0].isGPU }
            if let gpu = gpus.first {
                return BackendAvailability(
                    available: true, accelerated: true, reason: "device [\(gpu)] \(devices[gpu].name), the first GPU", device: gpu,
                    acceleratedDevices: gpus)
            }
            if devices.isEmpty { return BackendAvailability(available: false, accelerated: false, reason: "no OpenCL device") }
            return BackendAvailability(
                available: true, accelerated: false,
                reason: "no OpenCL GPU; CPU drivers such as PoCL are slower than OpenBLAS", device: 0)
        },
        open: { options in
            let tiles = try options.settings["tiles"].map(ConvolutionTiles.init(parsing:))
            return try OpenCLBackend(deviceIndex: options.device ?? 0, tiles: tiles, narrowTiles: options.settings["narrow-tiles"] != "0")
        })
}

/// Why a "tiles" setting was refused.
public struct ConvolutionTilesError: Error, Equatable, Sendable, CustomStringConvertible {
    public var text: String
    public var description: String {
        "tiles \"\(text)\": expected M,N,K,perItemM,perItemN with M and N divisible by their per-item counts, N and K by 4"
    }
}

extension ConvolutionTiles {
    /// "64,64,16,4,4" as tiles.
    public init(parsing text: String) throws(ConvolutionTilesError) {
        let values = text.split(separator: ",").compactMap { Int($0) }
        guard values.count == 5, values.allSatisfy({ $0 > 0 }), values[0] % values[3] == 0, values[1] % values[4] == 0,
              values[1] % 4 == 0, values[2] % 4 == 0 else { throw ConvolutionTilesError(text: text) }
        self.init(tileM: values[0], tileN: values[1], tileK: values[2], workPerThreadM: values[3], workPerThreadN: values[4])
    }
}
