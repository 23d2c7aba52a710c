import AHNet
import AHNetCL
import AHNetCPU
import Foundation

/// The backend a command runs on, chosen once: `auto` takes a GPU through OpenCL when there is
/// one and the native CPU backend otherwise (PoCL, OpenCL on the CPU, is slower than OpenBLAS).
enum BackendSelection {
    case cpu(CPUBackend)
    case opencl(OpenCLBackend)

    static func choose(_ choice: BackendChoice, device: Int?, threads: Int, tiles: ConvolutionTiles? = nil) throws -> BackendSelection {
        switch choice {
        case .cpu:
            return .cpu(CPUBackend(threads: threads))
        case .opencl:
            return .opencl(try OpenCLSetup.backend(deviceIndex: device ?? 0, tiles: tiles))
        case .auto:
            OpenCLSetup.prepare()
            let devices = OpenCLDevices.all()
            guard let index = device ?? devices.firstIndex(where: \.isGPU) else {
                return .cpu(CPUBackend(threads: threads))
            }
            do {
                return .opencl(try OpenCLSetup.backend(deviceIndex: index, tiles: tiles))
            } catch {
                warn("OpenCL device \(index) is unusable (\(error)); falling back to the CPU backend")
                return .cpu(CPUBackend(threads: threads))
            }
        }
    }

    /// What `auto` picks on this machine, and why.
    static func explainAuto(_ devices: [OpenCLDeviceInfo]) -> String {
        if let index = devices.firstIndex(where: \.isGPU) {
            return "auto picks OpenCL device [\(index)] \(devices[index].name): the first GPU"
        }
        if devices.isEmpty {
            return "auto picks the CPU backend (OpenBLAS): no OpenCL device"
        }
        return "auto picks the CPU backend (OpenBLAS): no OpenCL GPU; OpenCL CPU drivers such as PoCL are slower than OpenBLAS"
    }

    /// Chooses a backend and runs `body` on it; under `auto`, an OpenCL failure (build, out of
    /// memory, device lost) falls back to the CPU backend with a warning.
    static func run<Result>(
        _ choice: BackendChoice, device: Int?, threads: Int, tiles: ConvolutionTiles? = nil, _ body: (any AHNetBackend) throws -> Result
    ) throws -> Result {
        let selection = try choose(choice, device: device, threads: threads, tiles: tiles)
        do {
            return try selection.run(body)
        } catch let error as OpenCLError where choice == .auto {
            warn("OpenCL failed (\(error)); running on the CPU backend instead")
            return try body(CPUBackend(threads: threads))
        }
    }

    /// Runs `body` with the concrete backend (the graph is generic over it).
    func run<Result>(_ body: (any AHNetBackend) throws -> Result) throws -> Result {
        switch self {
        case .cpu(let backend): try body(backend)
        case .opencl(let backend): try body(backend)
        }
    }
}

/// One line on stderr, prefixed like every lungseg message.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("lungseg: warning: \(message)\n".utf8))
}
