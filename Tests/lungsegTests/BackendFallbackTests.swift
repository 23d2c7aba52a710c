import AHNet
import AHNetCL
import AHNetCPU
import Testing
@testable import lungseg

/// `auto`'s fallback through the registry, with the OpenCL failure injected: the work itself fails
/// on the OpenCL backend (PoCL's device, chosen by `--device` as if it were the GPU), as a driver
/// does when a GPU runs out of memory or is lost mid-run.
@Suite("Backend registry and fallback")
struct BackendFallbackTests {
    @Test func autoRunsAgainOnTheCPUWhenOpenCLFailsAndExplicitOpenCLDoesNot() throws {
        try #require(OpenCLDevices.all().isEmpty == false, "no OpenCL device")
        let registry = Backends.registry
        var attempts: [String] = []
        var warnings: [String] = []
        let result = try registry.run("auto", options: BackendOptions(threads: 1, device: 0), warn: { warnings.append($0) }) { backend -> String in
            attempts.append(backend is OpenCLBackend ? "opencl" : "cpu")
            if backend is OpenCLBackend { throw OpenCLError.outOfMemory(bytes: 1 << 40) }
            return backend.deviceDescription
        }
        #expect(attempts == ["opencl", "cpu"])
        #expect(result.hasPrefix("CPU (OpenBLAS"))
        #expect(warnings.count == 1 && warnings[0].contains("opencl failed"))
        // Asked for by name, OpenCL's failure is the command's failure.
        attempts = []
        #expect(throws: OpenCLError.outOfMemory(bytes: 1 << 40)) {
            _ = try registry.run("opencl", options: BackendOptions(threads: 1, device: 0), warn: { _ in }) { backend -> String in
                attempts.append(backend is OpenCLBackend ? "opencl" : "cpu")
                throw OpenCLError.outOfMemory(bytes: 1 << 40)
            }
        }
        #expect(attempts == ["opencl"])
    }

    @Test func theRegistryNamesEveryBackendAndRefusesUnknownOnes() throws {
        let registry = Backends.registry
        #expect(registry.names == ["auto", "opencl", "cpu"])
        #expect(throws: BackendChoiceError.unknown(name: "metal", known: ["opencl", "cpu"])) {
            _ = try registry.resolve("metal", options: BackendOptions(threads: 1))
        }
        // No GPU here (PoCL is a CPU device): `auto` takes the CPU, with no fallback behind it.
        let automatic = try registry.resolve("auto", options: BackendOptions(threads: 1))
        if !OpenCLDevices.all().contains(where: \.isGPU) {
            #expect(automatic.primary.name == "cpu" && automatic.fallback == nil)
        }
        #expect(try registry.resolve("cpu", options: BackendOptions(threads: 1)).fallback == nil)
    }
}
